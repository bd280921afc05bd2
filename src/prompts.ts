/**
 * The interactive flow over the option registry, with @clack/prompts.
 * Every answer is checked with isCancel: Ctrl+C exits 130 before anything is written.
 */
import * as p from "@clack/prompts";
import type { Args } from "./args.js";
import type { Ui } from "./create.js";
import { CHOICES, type ListChoice, type ListChoiceKey, type Options, RULES, SETTINGS } from "./options.js";
import { CancelledError } from "./write.js";
import { existingEntries, resolveTarget } from "./target.js";

function answer<T>(value: T): Exclude<T, symbol> {
  if (p.isCancel(value) || typeof value === "symbol") throw new CancelledError();
  return value as Exclude<T, symbol>;
}

async function askList(choice: ListChoice, initial: string[]): Promise<string[]> {
  const hintNone = choice.none ? ` (select nothing for ${choice.none})` : "";
  return answer(
    await p.multiselect<string>({
      message: `${choice.prompt}${hintNone}`,
      options: choice.values.map((v) => ({ value: v.value, label: v.label, hint: v.hint })),
      initialValues: initial,
      required: !!choice.required,
    }),
  );
}

function validateDir(value: string | undefined): string | undefined {
  try {
    const target = resolveTarget(value ?? "");
    if (existingEntries(target.dir).length > 0) return `${target.display} is not empty: choose another name.`;
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

export function clackUi(): Ui {
  return {
    async ask(args: Args, defaults) {
      p.intro("create-video-backend");
      const dir = args.dir ?? answer(
        await p.text({
          message: "Where should the project go?",
          placeholder: defaults.dir,
          defaultValue: defaults.dir,
          validate: (v) => validateDir(v || defaults.dir),
        }),
      );
      const lists = {} as Pick<Options, ListChoiceKey>;
      for (const choice of CHOICES) {
        lists[choice.key] = args.lists[choice.key] ?? await askList(choice, choice.default);
        // Re-ask a choice until the rules between choices hold (e.g. devicecheck needs anonymous).
        for (;;) {
          const broken = RULES.map((rule) => rule({ ...withDefaultLists(), ...lists })).find(Boolean);
          if (!broken || args.lists[choice.key] !== undefined) break;
          p.log.warn(broken);
          lists[choice.key] = await askList(choice, lists[choice.key]);
        }
      }
      const bundleSetting = SETTINGS.find((s) => s.key === "bundleId")!;
      const needsBundle = lists.auth.includes("apple") || lists.iap.includes("apple") || lists.auth.includes("devicecheck");
      const bundleId = args.settings.bundleId === undefined && needsBundle
        ? answer(
          await p.text({
            message: "iOS bundle id",
            placeholder: String(bundleSetting.default),
            defaultValue: String(bundleSetting.default),
            validate: (v) => {
              try {
                bundleSetting.parse(v || String(bundleSetting.default));
              } catch (error) {
                return (error as Error).message;
              }
              return undefined;
            },
          }),
        )
        : undefined;
      return { dir, lists, ...(bundleId ? { bundleId } : {}) };
    },
    async confirm(summary) {
      p.note(summary, "The plan");
      const go = answer(await p.confirm({ message: "Write the project?", initialValue: true }));
      if (!go) throw new CancelledError();
    },
    // Step lines rather than a spinner: clack's spinner puts stdin in raw mode
    // and exits 0 on Ctrl+C, which would skip the clean-up of a cancelled write.
    async step(title, work) {
      p.log.step(title);
      return work();
    },
    info: (text) => p.log.info(text),
    warn: (text) => p.log.warn(text),
    done: (text) => p.outro(text),
  };
}

function withDefaultLists(): Pick<Options, ListChoiceKey> {
  return Object.fromEntries(CHOICES.map((c) => [c.key, c.default])) as Pick<Options, ListChoiceKey>;
}
