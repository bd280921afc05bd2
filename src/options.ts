/**
 * The one definition of every choice the generator offers.
 *
 * Flags, --help, the interactive prompts, validation, the `video-backend.json`
 * manifest and the printed reproduce command are all derived from `CHOICES`
 * and `SETTINGS` below. Adding an option means adding one entry here.
 */

export type ListChoiceKey = "auth" | "iap" | "providers" | "monitoring";
export type SettingKey =
  | "trialCredits"
  | "bundleId"
  | "androidPackage"
  | "pgMajor"
  | "pm";

export interface ChoiceValue {
  value: string;
  label: string;
  /** One line shown beside the option in the prompt and in --help. */
  hint: string;
}

/** A multi-value choice: a comma list on the command line, a multiselect in the prompt. */
export interface ListChoice {
  key: ListChoiceKey;
  flag: string;
  prompt: string;
  values: ChoiceValue[];
  default: string[];
  /** The value that stands for "nothing" (e.g. `--iap none`), if any. */
  none?: string;
  /** At least one real value is needed (for --providers). */
  required?: boolean;
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
    required: true,
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

/** A single-value setting: a flag that takes one value; not prompted (defaults are safe). */
export interface Setting {
  key: SettingKey;
  flag: string;
  description: string;
  /** A literal default, or null when it is derived (see `resolveDefaults`). */
  default: string | number | null;
  defaultText: string;
  parse(raw: string): string | number;
}

function usage(message: string): never {
  throw new UsageError(message);
}

const REVERSE_DNS = /^[a-zA-Z][a-zA-Z0-9_-]*(\.[a-zA-Z][a-zA-Z0-9_-]*)+$/;
const ANDROID_ID = /^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*)+$/;

export const PACKAGE_MANAGERS = ["npm", "pnpm", "yarn", "bun"] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

export const SETTINGS: readonly Setting[] = [
  {
    key: "trialCredits",
    flag: "trial-credits",
    description: "credits a new guest device gets once",
    default: 10,
    defaultText: "10",
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
    description: "Android application id (used with --iap google)",
    default: null,
    defaultText: "same as --bundle-id",
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
        usage(`--pm must be one of ${PACKAGE_MANAGERS.join(", ")}, got "${raw}".`);
      }
      return raw;
    },
  },
];

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
      usage(`--${choice.flag}: unknown value "${item}". Use a comma list of: ${accepted.join(", ")}.`);
    }
  }
  if (choice.none && items.includes(choice.none)) {
    if (items.length > 1) usage(`--${choice.flag}: "${choice.none}" cannot be combined with other values.`);
    return [];
  }
  if (items.length === 0) {
    usage(
      choice.none
        ? `--${choice.flag} needs a value: a comma list of ${allowed.join(", ")}, or ${choice.none}.`
        : `--${choice.flag} needs at least one of: ${allowed.join(", ")}.`,
    );
  }
  // Keep the registry's order so the same choice always renders the same output.
  return allowed.filter((v) => items.includes(v));
}

/** Rules between choices. Each returns a message naming the fix, or null. */
export const RULES: ReadonlyArray<(o: Pick<Options, ListChoiceKey>) => string | null> = [
  (o) =>
    o.auth.includes("devicecheck") && !o.auth.includes("anonymous")
      ? `--auth devicecheck needs anonymous: DeviceCheck gates the trial credits of guest accounts. Use --auth ${
        [...o.auth, "anonymous"].sort(byRegistry(CHOICES[0]!)).join(",")
      } or drop devicecheck.`
      : null,
  (o) => (o.providers.length === 0 ? "--providers needs at least one of: fal, runway, replicate." : null),
];

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

/** The package manager that launched us (`npm create`, `pnpm create`, …), else npm. */
export function detectPackageManager(userAgent = process.env.npm_config_user_agent): PackageManager {
  const name = userAgent?.split(" ")[0]?.split("/")[0];
  return (PACKAGE_MANAGERS as readonly string[]).includes(name ?? "") ? (name as PackageManager) : "npm";
}

/** The command line that reproduces these options exactly, every choice spelled out. */
export function reproduceCommand(projectName: string, o: Options): string {
  const parts = ["npm create video-backend@latest", projectName, "--"];
  for (const c of CHOICES) {
    const list = o[c.key];
    parts.push(`--${c.flag} ${list.length ? list.join(",") : c.none}`);
  }
  for (const s of SETTINGS) {
    if (s.key === "pm") continue; // how it is installed, not what is generated
    if (s.key === "androidPackage" && !o.iap.includes("google")) continue;
    parts.push(`--${s.flag} ${o[s.key]}`);
  }
  return parts.join(" ");
}
