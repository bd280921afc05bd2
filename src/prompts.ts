/**
 * The interactive flow over the option registry.
 *
 * `askAnswers` is the flow itself, written against a small `Prompter`, so tests
 * can drive every path; `clackUi` runs it with @clack/prompts. Every answer goes
 * through the same validation as the flags (parseList, checkRules, Setting.parse,
 * relevance), so what the prompts accept, the reproduce command accepts too.
 * Every clack answer is checked with isCancel: Ctrl+C exits 130 before anything
 * is written.
 */
import * as p from "@clack/prompts";
import type { Args } from "./args.js";
import type { Answers, Ui } from "./create.js";
import {
  CHOICES,
  checkRules,
  type ChoiceValue,
  formatList,
  irrelevantSettingMessage,
  isRelevant,
  isRequired,
  type ListChoiceKey,
  type Options,
  parseList,
  SETTINGS,
} from "./options.js";
import { existingEntries, resolveTarget } from "./target.js";
import { wrap } from "./text.js";
import { CancelledError } from "./write.js";

/** The prompt primitives the flow needs. */
export interface Prompter {
  /** One line of text; empty input means `defaultValue`. `initialValue` is shown, editable. */
  text(o: {
    message: string;
    defaultValue: string;
    initialValue?: string;
    validate: (value: string) => string | undefined;
  }): Promise<string>;
  /** Pick any of the options; `required`: at least one. */
  multiselect(o: { message: string; options: readonly ChoiceValue[]; initialValues: string[]; required: boolean }): Promise<string[]>;
  warn(message: string): void;
}

function validateDir(value: string, force: boolean): string | undefined {
  try {
    const target = resolveTarget(value);
    if (!force && existingEntries(target.dir).length > 0) return `${target.display} is not empty: choose another name.`;
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

function validateWith(parse: (raw: string) => unknown) {
  return (value: string) => {
    try {
      parse(value);
    } catch (error) {
      return (error as Error).message;
    }
    return undefined;
  };
}

/**
 * Asks what the flags did not give. With `previous` (the user said "No" to the
 * summary), asks every question again, the earlier answers filled in.
 */
export async function askAnswers(
  args: Args,
  defaults: { dir: string },
  previous: Answers | undefined,
  prompter: Prompter,
): Promise<Answers> {
  const again = previous !== undefined;
  const dir = args.dir !== undefined && !again ? args.dir : await prompter.text({
    message: "Where should the project go?",
    defaultValue: defaults.dir,
    ...(again ? { initialValue: previous.dir } : {}),
    validate: (v) => validateDir(v || defaults.dir, args.force),
  }) || defaults.dir;

  const lists = {} as Pick<Options, ListChoiceKey>;
  const answered = (): Pick<Options, ListChoiceKey> => ({
    ...(Object.fromEntries(CHOICES.map((c) => [c.key, c.default])) as Pick<Options, ListChoiceKey>),
    ...lists,
  });
  for (const choice of CHOICES) {
    const given = args.lists[choice.key];
    if (given !== undefined && !again) {
      lists[choice.key] = given;
      continue;
    }
    let initial = previous?.lists[choice.key] ?? given ?? choice.default;
    for (;;) {
      const picked = await prompter.multiselect({
        message: `${choice.prompt}${choice.none ? ` (select nothing for ${choice.none})` : ""}`,
        options: choice.values,
        initialValues: initial,
        required: isRequired(choice),
      });
      // The flag parser is the judge: the answer must be what `--<flag> <list>` accepts.
      let problem: string | undefined;
      try {
        lists[choice.key] = parseList(choice, formatList(choice, picked));
        checkRules(answered());
      } catch (error) {
        problem = (error as Error).message;
      }
      if (!problem) break;
      prompter.warn(problem);
      initial = picked;
    }
  }

  const settings: Args["settings"] = {};
  for (const s of SETTINGS) {
    const given = args.settings[s.key];
    if (!isRelevant(s, lists)) {
      if (given !== undefined) prompter.warn(`Ignoring --${s.flag}: ${irrelevantSettingMessage(s).replace(/ Add .*$/, "")}`);
      continue;
    }
    if (!s.prompt || (given !== undefined && !again)) {
      if (given !== undefined) settings[s.key] = given;
      continue;
    }
    // The Android id defaults to the bundle id, as it does for the flags.
    const fallback = s.key === "androidPackage" ? String(settings.bundleId ?? SETTINGS.find((x) => x.key === "bundleId")!.default) : String(s.default);
    const initial = previous?.settings[s.key] ?? given;
    const raw = await prompter.text({
      message: s.prompt,
      defaultValue: fallback,
      ...(initial !== undefined ? { initialValue: String(initial) } : {}),
      validate: validateWith((v) => s.parse(v || fallback)),
    });
    settings[s.key] = s.parse(raw || fallback);
  }
  return { dir, lists, settings };
}

function answer<T>(value: T): Exclude<T, symbol> {
  if (p.isCancel(value) || typeof value === "symbol") throw new CancelledError();
  return value as Exclude<T, symbol>;
}

/** Text for a clack log line: wrapped so every line keeps the `│` border (clack prefixes 3 columns). */
function fit(text: string): string {
  return wrap(text, (process.stdout.columns || 80) - 3).join("\n");
}

/** Text after the closing `└`: wrapped, continuation lines indented under the first. */
function closing(text: string): string {
  return fit(text).replaceAll("\n", "\n   ");
}

const clackPrompter: Prompter = {
  async text(o) {
    return answer(
      await p.text({
        message: o.message,
        placeholder: o.defaultValue,
        defaultValue: o.defaultValue,
        ...(o.initialValue !== undefined ? { initialValue: o.initialValue } : {}),
        validate: (v) => o.validate(v ?? ""),
      }),
    );
  },
  async multiselect(o) {
    return answer(
      await p.multiselect<string>({
        message: o.message,
        options: o.options.map((v) => ({ value: v.value, label: v.label, hint: v.hint })),
        initialValues: o.initialValues,
        required: o.required,
      }),
    );
  },
  warn: (message) => p.log.warn(fit(message)),
};

export function clackUi(): Ui {
  let introduced = false;
  return {
    async ask(args: Args, defaults, previous) {
      if (!introduced) p.intro("create-video-backend");
      introduced = true;
      if (previous) p.log.info(fit("Change any answer (Enter keeps it)."));
      return askAnswers(args, defaults, previous, clackPrompter);
    },
    async confirm(summary) {
      p.note(summary, "The plan");
      return answer(
        await p.confirm({ message: "Write the project?", active: "Yes", inactive: "No, change answers", initialValue: true }),
      );
    },
    // Step lines rather than a spinner: clack's spinner puts stdin in raw mode
    // and exits 0 on Ctrl+C, which would skip the clean-up of a cancelled write.
    async step(title, work) {
      p.log.step(fit(title));
      return work();
    },
    info: (text) => p.log.info(fit(text)),
    warn: (text) => p.log.warn(fit(text)),
    // The first line closes the flow; the rest (commands to copy) follows
    // outside the border, unwrapped, so a long command pastes whole.
    done: (text) => {
      const [head, ...rest] = text.split("\n");
      p.outro(closing(head!));
      if (rest.length) process.stdout.write(`${rest.join("\n")}\n`);
    },
    // As in done(): the first line closes the flow, commands follow unwrapped.
    fail: (text) => {
      const [head, ...rest] = text.split("\n");
      p.cancel(closing(head!));
      if (rest.length) process.stdout.write(`${rest.join("\n")}\n`);
    },
  };
}
