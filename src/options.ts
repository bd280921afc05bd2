/**
 * The one definition of every choice the generator offers.
 *
 * Flags, --help, the interactive prompts, validation, the `video-backend.json`
 * manifest and the printed reproduce command are all derived from `CHOICES`
 * and `SETTINGS` below. Adding an option means adding one entry here.
 */

import { didYouMean } from "./text.js";

export type ListChoiceKey = "auth" | "iap" | "providers" | "monitoring";
export type SettingKey =
  | "trialCredits"
  | "bundleId"
  | "androidPackage"
  | "pgMajor"
  | "pm"
  | "agents";

export interface ChoiceValue {
  value: string;
  label: string;
  /** One line shown beside the option in the prompt and in --help. */
  hint: string;
}

/**
 * A multi-value choice: a comma list on the command line, a multiselect in the
 * prompt. A choice with a `none` value may be empty (`--iap none`, nothing
 * ticked); a choice without one needs at least one value, on the command line
 * and in the prompt alike (`isRequired`).
 */
export interface ListChoice {
  key: ListChoiceKey;
  flag: string;
  prompt: string;
  values: ChoiceValue[];
  default: string[];
  /** The value that stands for "nothing" (e.g. `--iap none`), if any. */
  none?: string;
}

/** Whether the choice needs at least one value (it has no `none`). */
export function isRequired(choice: ListChoice): boolean {
  return choice.none === undefined;
}

export const CHOICES: readonly ListChoice[] = [
  {
    key: "auth",
    flag: "auth",
    prompt: "How will users sign in?",
    values: [
      { value: "apple", label: "Sign in with Apple", hint: "native iOS id token, nonce checked" },
      { value: "anonymous", label: "Guest accounts", hint: "anonymous sign-in, linkable to Apple later" },
      { value: "devicecheck", label: "DeviceCheck trial credits", hint: "free credits once per real iPhone (needs guests)" },
    ],
    default: ["apple", "anonymous", "devicecheck"],
  },
  {
    key: "iap",
    flag: "iap",
    prompt: "Which in-app purchase stores sell credits?",
    values: [
      { value: "apple", label: "App Store", hint: "StoreKit 2 signed transactions + server notifications" },
      { value: "google", label: "Google Play", hint: "Play Developer API + real-time notifications" },
      { value: "revenuecat", label: "RevenueCat", hint: "RevenueCat webhook credits purchases" },
    ],
    default: ["apple"],
    none: "none",
  },
  {
    key: "providers",
    flag: "providers",
    prompt: "Which video providers generate the videos?",
    values: [
      { value: "fal", label: "fal.ai", hint: "queue API, signed webhooks (Kling, MiniMax, Veo)" },
      { value: "runway", label: "Runway", hint: "tasks API, polled (Gen-4 Turbo, Veo 3.1)" },
      { value: "replicate", label: "Replicate", hint: "predictions API, signed webhooks" },
    ],
    default: ["fal"],
  },
  {
    key: "monitoring",
    flag: "monitoring",
    prompt: "How should the operator hear about trouble?",
    values: [
      { value: "sentry", label: "Sentry", hint: "errors and 5xx from every function" },
      { value: "telegram", label: "Telegram alerts", hint: "refund failures, fraud, stuck jobs" },
    ],
    default: ["sentry", "telegram"],
    none: "none",
  },
];

/** A (choice, value) pair a setting depends on, e.g. `--auth devicecheck`. */
export interface ChoiceRef {
  key: ListChoiceKey;
  value: string;
}

/** A single-value setting: a flag that takes one value. */
export interface Setting {
  key: SettingKey;
  flag: string;
  description: string;
  /** A literal default, or null when it is derived (see `withDefaults`). */
  default: string | number | null;
  defaultText: string;
  parse(raw: string): string | number;
  /**
   * The setting matters only when one of these values is chosen. Given as a
   * flag without them it is a usage error; interactively it is asked only then;
   * the reproduce command leaves it out otherwise. Absent: always relevant.
   */
  relevantWith?: ChoiceRef[];
  /** Why it matters only then (completes "…applies only with X: <why>."). */
  relevantBecause?: string;
  /** Asked interactively (when relevant and no flag gave it); otherwise only a flag sets it. */
  prompt?: string;
}

function usage(message: string): never {
  throw new UsageError(message);
}

const REVERSE_DNS = /^[a-zA-Z][a-zA-Z0-9_-]*(\.[a-zA-Z][a-zA-Z0-9_-]*)+$/;
const ANDROID_ID = /^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*)+$/;

export const PACKAGE_MANAGERS = ["npm", "pnpm", "yarn", "bun"] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

/**
 * `--agents`: which AI coding agent's team files are written besides AGENTS.md
 * (always written: it is the cross-tool convention). `claude` writes
 * `.claude/agents/<name>.md`, one per team member (src/team.ts). Not asked
 * interactively: the files cost nothing to a team that does not use them, and
 * a team that does not want them says so with the flag.
 */
export const AGENT_TOOLS = ["claude", "none"] as const;
export type AgentTool = (typeof AGENT_TOOLS)[number];

export const SETTINGS: readonly Setting[] = [
  {
    key: "trialCredits",
    flag: "trial-credits",
    description: "credits a new guest device gets once",
    default: 10,
    defaultText: "10",
    relevantWith: [{ key: "auth", value: "devicecheck" }],
    relevantBecause: "DeviceCheck is what grants the trial credits",
    prompt: "How many free credits does a new device get once?",
    parse(raw) {
      if (!/^\d+$/.test(raw) || Number(raw) > 10000) {
        usage(`--trial-credits must be a whole number from 0 to 10000, got "${raw}".`);
      }
      return Number(raw);
    },
  },
  {
    key: "bundleId",
    flag: "bundle-id",
    description: "iOS bundle id, reverse-DNS",
    default: "com.example.videoapp",
    defaultText: "com.example.videoapp",
    relevantWith: [{ key: "auth", value: "apple" }, { key: "iap", value: "apple" }],
    relevantBecause: "it is the audience of Apple's id tokens and the app the App Store transactions must carry",
    prompt: "iOS bundle id",
    parse(raw) {
      if (!REVERSE_DNS.test(raw)) {
        usage(`--bundle-id must be a reverse-DNS id such as com.acme.videoapp, got "${raw}".`);
      }
      return raw;
    },
  },
  {
    key: "androidPackage",
    flag: "android-package",
    description: "Android application id",
    default: null,
    defaultText: "same as --bundle-id",
    relevantWith: [{ key: "iap", value: "google" }],
    relevantBecause: "it names the app whose Google Play purchases are verified",
    prompt: "Android application id (Google Play package name)",
    parse(raw) {
      if (!ANDROID_ID.test(raw)) {
        usage(
          `--android-package must be an Android application id such as com.acme.videoapp (letters, digits, _), got "${raw}".`,
        );
      }
      return raw;
    },
  },
  {
    key: "pgMajor",
    flag: "pg-major",
    description: "PostgreSQL major version of the Supabase project",
    default: 17,
    defaultText: "17",
    parse(raw) {
      if (raw !== "15" && raw !== "17") usage(`--pg-major must be 15 or 17, got "${raw}".`);
      return Number(raw);
    },
  },
  {
    key: "pm",
    flag: "pm",
    description: "package manager for install and the printed commands",
    default: null,
    defaultText: "detected from npm_config_user_agent, else npm",
    parse(raw) {
      if (!(PACKAGE_MANAGERS as readonly string[]).includes(raw)) {
        usage(`--pm must be one of ${PACKAGE_MANAGERS.join(", ")}, got "${raw}".${didYouMean(raw, PACKAGE_MANAGERS)}`);
      }
      return raw;
    },
  },
  {
    key: "agents",
    flag: "agents",
    description: "AI coding agent team files besides AGENTS.md: claude (.claude/agents/*.md) or none",
    default: "claude",
    defaultText: "claude",
    parse(raw) {
      if (!(AGENT_TOOLS as readonly string[]).includes(raw)) {
        usage(`--agents must be one of ${AGENT_TOOLS.join(", ")}, got "${raw}".${didYouMean(raw, AGENT_TOOLS)}`);
      }
      return raw;
    },
  },
];

/**
 * `--format` of `--dry-run`: `files` lists the layers and their files, `plan`
 * prints the orchestrator's plan (the text of docs/PLAN.md) instead.
 */
export const DRY_RUN_FORMATS = ["files", "plan"] as const;
export type DryRunFormat = (typeof DRY_RUN_FORMATS)[number];

export const FORMAT_FLAG = {
  flag: "format",
  description: "with --dry-run: files (the layers and their files, default) or plan (the orchestrator's plan, as docs/PLAN.md)",
} as const;

export function parseFormat(raw: string): DryRunFormat {
  if (!(DRY_RUN_FORMATS as readonly string[]).includes(raw)) {
    usage(`--format must be one of ${DRY_RUN_FORMATS.join(", ")}, got "${raw}".${didYouMean(raw, DRY_RUN_FORMATS)}`);
  }
  return raw as DryRunFormat;
}

/** Boolean switches. `negatable` ones are written `--no-<flag>`. */
export interface Switch {
  key: "yes" | "force" | "dryRun" | "json" | "git" | "install" | "help" | "version";
  flag: string;
  short?: string;
  description: string;
  negatable?: boolean;
}

export const SWITCHES: readonly Switch[] = [
  { key: "yes", flag: "yes", short: "y", description: "take the default for every choice not given by a flag" },
  { key: "force", flag: "force", description: "write into a non-empty directory (never deletes anything)" },
  { key: "dryRun", flag: "dry-run", description: "print the layer plan and the file list; write nothing" },
  { key: "json", flag: "json", description: "print the result as one JSON object on stdout" },
  { key: "git", flag: "git", negatable: true, description: "skip git init + first commit" },
  { key: "install", flag: "install", negatable: true, description: "skip the dependency install" },
  { key: "help", flag: "help", short: "h", description: "show this help" },
  { key: "version", flag: "version", short: "v", description: "print the version" },
];

/** The resolved answers: everything the templates need to know about the user's choices. */
export interface Options {
  auth: string[];
  iap: string[];
  providers: string[];
  monitoring: string[];
  trialCredits: number;
  bundleId: string;
  androidPackage: string;
  pgMajor: 15 | 17;
  pm: PackageManager;
  agents: AgentTool;
}

/** A usage error: exit code 2, the message names the fix. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** Parses one comma list against its choice; `none` stands alone and means the empty list. */
export function parseList(choice: ListChoice, raw: string): string[] {
  const items = raw.split(",").map((s) => s.trim()).filter(Boolean);
  const allowed = choice.values.map((v) => v.value);
  const accepted = choice.none ? [...allowed, choice.none] : allowed;
  for (const item of items) {
    if (!accepted.includes(item)) {
      usage(
        `--${choice.flag}: unknown value "${item}".${didYouMean(item, accepted, (v) => `"${v}"`)} Use a comma list of: ${
          accepted.join(", ")
        }.`,
      );
    }
  }
  if (choice.none && items.includes(choice.none)) {
    if (items.length > 1) usage(`--${choice.flag}: "${choice.none}" cannot be combined with other values.`);
    return [];
  }
  if (items.length === 0) usage(emptyListMessage(choice));
  // Keep the registry's order so the same choice always renders the same output.
  return allowed.filter((v) => items.includes(v));
}

function emptyListMessage(choice: ListChoice): string {
  const allowed = choice.values.map((v) => v.value).join(", ");
  return choice.none
    ? `--${choice.flag} needs a value: a comma list of ${allowed}, or ${choice.none}.`
    : `--${choice.flag} needs at least one of: ${allowed}.`;
}

/** A list in the form the command line takes it: `a,b`, or the choice's `none` for the empty list. */
export function formatList(choice: ListChoice, list: readonly string[]): string {
  return list.length ? list.join(",") : choice.none ?? "";
}

/**
 * Rules between choices. Each returns a message naming the fix, or null. The
 * prompts check their answers against the same rules, so interactive answers
 * and flags accept exactly the same combinations.
 */
export const RULES: ReadonlyArray<(o: Pick<Options, ListChoiceKey>) => string | null> = [
  // A choice without `none` needs a value (e.g. at least one sign-in method, one provider).
  ...CHOICES.filter(isRequired).map((c) => (o: Pick<Options, ListChoiceKey>) =>
    o[c.key].length === 0 ? emptyListMessage(c) : null
  ),
  (o) =>
    o.auth.includes("devicecheck") && !o.auth.includes("anonymous")
      ? `--auth devicecheck needs anonymous: DeviceCheck gates the trial credits of guest accounts. Use --auth ${
        [...o.auth, "anonymous"].sort(byRegistry(choiceOf("auth"))).join(",")
      } or drop devicecheck.`
      : null,
];

export function choiceOf(key: ListChoiceKey): ListChoice {
  return CHOICES.find((c) => c.key === key)!;
}

function byRegistry(choice: ListChoice) {
  const order = choice.values.map((v) => v.value);
  return (a: string, b: string) => order.indexOf(a) - order.indexOf(b);
}

export function checkRules(o: Pick<Options, ListChoiceKey>): void {
  for (const rule of RULES) {
    const message = rule(o);
    if (message) usage(message);
  }
}

/** Whether a setting matters for these choices (see `Setting.relevantWith`). */
export function isRelevant(setting: Setting, o: Pick<Options, ListChoiceKey>): boolean {
  return !setting.relevantWith || setting.relevantWith.some((r) => o[r.key].includes(r.value));
}

/** The message for a setting given where it has no effect, naming the fix. */
export function irrelevantSettingMessage(setting: Setting): string {
  const needs = (setting.relevantWith ?? []).map((r) => `--${choiceOf(r.key).flag} ${r.value}`);
  const add = needs.length === 1
    ? `Add ${setting.relevantWith![0]!.value} to --${choiceOf(setting.relevantWith![0]!.key).flag}`
    : `Add one of them`;
  return `--${setting.flag} applies only with ${needs.join(" or ")}: ${setting.relevantBecause}. ${add}, or drop --${setting.flag}.`;
}

/** Settings given as flags must matter for the chosen options: a flag that would be ignored is a usage error. */
export function checkSettings(o: Pick<Options, ListChoiceKey>, given: Partial<Record<SettingKey, unknown>>): void {
  for (const s of SETTINGS) {
    if (given[s.key] !== undefined && !isRelevant(s, o)) usage(irrelevantSettingMessage(s));
  }
}

/** The package manager that launched us (`npm create`, `pnpm create`, …), else npm. */
export function detectPackageManager(userAgent = process.env.npm_config_user_agent): PackageManager {
  const name = userAgent?.split(" ")[0]?.split("/")[0];
  return (PACKAGE_MANAGERS as readonly string[]).includes(name ?? "") ? (name as PackageManager) : "npm";
}

/** Fills what flags did not give from the registry's defaults. */
export function withDefaults(
  lists: Partial<Pick<Options, ListChoiceKey>>,
  settings: Partial<Record<SettingKey, string | number>>,
  pm: PackageManager = detectPackageManager(),
): Options {
  const pick = <K extends ListChoiceKey>(key: K) => lists[key] ?? choiceOf(key).default;
  const setting = (key: SettingKey) => settings[key] ?? SETTINGS.find((s) => s.key === key)!.default;
  const bundleId = String(setting("bundleId"));
  return {
    auth: pick("auth"),
    iap: pick("iap"),
    providers: pick("providers"),
    monitoring: pick("monitoring"),
    trialCredits: Number(setting("trialCredits")),
    bundleId,
    androidPackage: String(settings.androidPackage ?? bundleId),
    pgMajor: Number(setting("pgMajor")) as 15 | 17,
    pm: (settings.pm as PackageManager | undefined) ?? pm,
    agents: setting("agents") as AgentTool,
  };
}

/**
 * How each package manager runs `create-video-backend`. npm needs `--` before
 * the flags and `@latest` so a cached older version is not reused; pnpm, yarn
 * and bun pass the flags through (the forms create-vite documents).
 */
export function createCommand(pm: PackageManager, dir: string): string {
  return pm === "npm" ? `npm create video-backend@latest ${dir} --` : `${pm} create video-backend ${dir}`;
}

/**
 * The command line that reproduces these options exactly, every choice spelled
 * out, in the package manager in use (running it with that package manager
 * detects the same one again).
 */
export function reproduceCommand(projectName: string, o: Options): string {
  const parts = [createCommand(o.pm, projectName)];
  for (const c of CHOICES) parts.push(`--${c.flag} ${formatList(c, o[c.key])}`);
  for (const s of SETTINGS) {
    if (s.key === "pm") continue; // the launcher above decides it
    if (!isRelevant(s, o)) continue;
    parts.push(`--${s.flag} ${o[s.key]}`);
  }
  return parts.join(" ");
}
