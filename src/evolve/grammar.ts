/**
 * `add <feature…> [dir]`: the words after `add`, as additions to the recorded
 * choices. Pure; every choice and value comes from the registry (options.ts).
 *
 * Grammar (decided here, documented in README › Day two):
 * - `<choice> <value>[,<value>…]`: `add iap google`, `add monitoring sentry,telegram`;
 *   the choice is named by its flag (`auth`, `iap`, `providers`; `provider` is accepted too).
 * - a bare value where only one choice has it: `add runway`, `add google`,
 *   `add telegram`, `add devicecheck`. `apple` belongs to both auth and iap:
 *   alone it is a usage error naming both spellings.
 * - several at once: `add runway iap google`.
 * - a last word that is neither a choice nor a value is the project directory.
 */
import {
  CHOICES,
  checkRules,
  type ListChoice,
  type ListChoiceKey,
  type Options,
  UsageError,
} from "../options.js";
import { didYouMean } from "../text.js";

export type Additions = Partial<Record<ListChoiceKey, string[]>>;

export interface AddRequest {
  additions: Additions;
  dir?: string;
}

const ALIASES: Record<string, ListChoiceKey> = { provider: "providers" };

function choiceNamed(word: string): ListChoice | undefined {
  const key = ALIASES[word] ?? word;
  return CHOICES.find((c) => c.flag === key || c.key === key);
}

function choicesWithValue(value: string): ListChoice[] {
  return CHOICES.filter((c) => c.values.some((v) => v.value === value));
}

function everyWord(): string[] {
  return [...CHOICES.map((c) => c.flag), ...new Set(CHOICES.flatMap((c) => c.values.map((v) => v.value)))];
}

export function parseFeatures(words: string[]): AddRequest {
  const additions: Additions = {};
  const push = (choice: ListChoice, value: string) => {
    const list = (additions[choice.key] ??= []);
    if (!list.includes(value)) list.push(value);
  };
  let dir: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const choice = choiceNamed(word);
    if (choice) {
      const raw = words[i + 1];
      if (raw === undefined) {
        throw new UsageError(
          `add ${word} needs a value: add ${choice.flag} <${choice.values.map((v) => v.value).join("|")}>[,…].`,
        );
      }
      i++;
      for (const value of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
        if (choice.none && value === choice.none) {
          throw new UsageError(`add ${choice.flag} ${value}: add only adds features; "${value}" removes them, which add does not do.`);
        }
        if (!choice.values.some((v) => v.value === value)) {
          throw new UsageError(
            `add ${choice.flag}: unknown value "${value}".${didYouMean(value, choice.values.map((v) => v.value), (v) => `"${v}"`)} Use one of: ${
              choice.values.map((v) => v.value).join(", ")
            }.`,
          );
        }
        push(choice, value);
      }
      continue;
    }
    const owners = choicesWithValue(word);
    if (owners.length === 1) {
      push(owners[0]!, word);
      continue;
    }
    if (owners.length > 1) {
      throw new UsageError(
        `"${word}" is ambiguous: it is a value of ${owners.map((c) => `--${c.flag}`).join(" and ")}. Say which: ${
          owners.map((c) => `add ${c.flag} ${word}`).join(" or ")
        }.`,
      );
    }
    if (i === words.length - 1 && i > 0) {
      dir = word;
      continue;
    }
    throw new UsageError(
      `add: unknown feature "${word}".${didYouMean(word, everyWord(), (v) => `"${v}"`)} Features: ${
        CHOICES.map((c) => `${c.flag} ${c.values.map((v) => v.value).join("|")}`).join(" · ")
      } (e.g. add runway, add iap google).`,
    );
  }
  if (Object.keys(additions).length === 0) {
    throw new UsageError("add needs at least one feature, e.g. create-video-backend add runway, or add iap google.");
  }
  return { additions, ...(dir !== undefined ? { dir } : {}) };
}

/**
 * The recorded choices plus the additions, in registry order. A value already
 * present, or a result the rules refuse, is a usage error naming the fix.
 */
export function applyAdditions(current: Pick<Options, ListChoiceKey>, additions: Additions): Pick<Options, ListChoiceKey> {
  const next = { ...current };
  for (const c of CHOICES) {
    const adding = additions[c.key];
    if (!adding) continue;
    const present = adding.filter((v) => current[c.key].includes(v));
    if (present.length > 0) {
      throw new UsageError(
        `${present.join(", ")} ${present.length === 1 ? "is" : "are"} already in this project (--${c.flag} ${current[c.key].join(",")}): nothing to add.`,
      );
    }
    const order = c.values.map((v) => v.value);
    next[c.key] = order.filter((v) => current[c.key].includes(v) || adding.includes(v));
  }
  try {
    checkRules(next);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}${suggestion(current, next)}`);
  }
  return next;
}

/** The smallest `add` that the rules accept, for the message (e.g. `add auth anonymous,devicecheck`). */
function suggestion(current: Pick<Options, ListChoiceKey>, wanted: Pick<Options, ListChoiceKey>): string {
  for (const c of CHOICES) {
    for (const v of c.values) {
      if (wanted[c.key].includes(v.value)) continue;
      const tried = { ...wanted, [c.key]: c.values.map((x) => x.value).filter((x) => wanted[c.key].includes(x) || x === v.value) };
      try {
        checkRules(tried);
      } catch {
        continue;
      }
      const words = CHOICES.flatMap((k) => {
        const added = tried[k.key].filter((x) => !current[k.key].includes(x));
        return added.length ? [`${k.flag} ${added.join(",")}`] : [];
      });
      return ` With add: create-video-backend add ${words.join(" ")}.`;
    }
  }
  return "";
}
