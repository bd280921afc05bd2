/**
 * argv → what the user asked for. Every flag comes from the registry in
 * options.ts; nothing here knows a choice by name.
 */
import { parseArgs } from "node:util";
import {
  CHOICES,
  type DryRunFormat,
  FORMAT_FLAG,
  type ListChoiceKey,
  type Options,
  parseFormat,
  parseList,
  SETTINGS,
  type SettingKey,
  SWITCHES,
  UsageError,
} from "./options.js";
import { didYouMean } from "./text.js";

/**
 * Subcommands (`create-video-backend <command> [dir] …`): each works on an
 * existing project directory. Anything else in first position is create's directory.
 */
export const COMMANDS = ["verify", "doctor", "deploy", "add", "upgrade"] as const;
export type Command = "create" | (typeof COMMANDS)[number];

export interface Args {
  command: Command;
  dir?: string;
  /** add: the words after `add` (features, then maybe the directory). */
  words: string[];
  /** add/upgrade: write a delta migration the linter flags (drops, rewrites). */
  allowDestructive: boolean;
  /** Choices given on the command line; the rest comes from --yes or the prompts. */
  lists: Partial<Pick<Options, ListChoiceKey>>;
  settings: Partial<Record<SettingKey, string | number>>;
  yes: boolean;
  force: boolean;
  dryRun: boolean;
  /** What --dry-run prints (--format). */
  format: DryRunFormat;
  json: boolean;
  git: boolean;
  install: boolean;
  help: boolean;
  version: boolean;
  databaseUrl?: string;
  /** deploy: --project-ref, --from, --db-url */
  projectRef?: string;
  from?: string;
  dbUrl?: string;
}

type ParseConfig = NonNullable<Parameters<typeof parseArgs>[0]>["options"] & object;

function parseConfig(): ParseConfig {
  const config: ParseConfig = {};
  for (const c of CHOICES) config[c.flag] = { type: "string" };
  for (const s of SETTINGS) config[s.flag] = { type: "string" };
  for (const s of SWITCHES) {
    // Node 20's parseArgs has no negation support: declare --no-<flag> itself.
    const name = s.negatable ? `no-${s.flag}` : s.flag;
    config[name] = s.short ? { type: "boolean", short: s.short } : { type: "boolean" };
  }
  config[FORMAT_FLAG.flag] = { type: "string" };
  config["database-url"] = { type: "string" };
  config["allow-destructive"] = { type: "boolean" };
  for (const flag of ["project-ref", "from", "db-url"]) config[flag] = { type: "string" };
  return config;
}

/** parseArgs' error, with a "did you mean" for a mistyped flag. */
function flagError(error: unknown, config: ParseConfig): UsageError {
  const text = (error as Error).message.replace(/\. To specify.*$/s, "");
  const message = text.endsWith(".") ? text : `${text}.`;
  const unknown = /^Unknown option '(-{1,2}[^'=]+)/.exec(message)?.[1];
  const names = Object.entries(config).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]);
  const hint = unknown ? didYouMean(unknown, names) : "";
  return new UsageError(`${message}${hint} Run with --help to see every flag.`);
}

export function parseArgv(argv: string[]): Args {
  const config = parseConfig();
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: config, allowPositionals: true, strict: true });
  } catch (error) {
    throw flagError(error, config);
  }
  const { values, positionals } = parsed;
  const first = positionals[0] ?? "";
  const command: Command = (COMMANDS as readonly string[]).includes(first) ? (first as Command) : "create";
  const rest = command === "create" ? positionals : positionals.slice(1);
  if (rest.length > 1 && command !== "add") {
    // `create-video-backend verfy app` most likely meant a command.
    const hint = command === "create" ? didYouMean(rest[0]!, COMMANDS) : "";
    throw new UsageError(`Expected one project directory, got ${rest.length}: ${rest.join(" ")}.${hint}`);
  }
  const lists: Args["lists"] = {};
  for (const c of CHOICES) {
    const raw = values[c.flag];
    if (typeof raw === "string") lists[c.key] = parseList(c, raw);
  }
  const settings: Args["settings"] = {};
  for (const s of SETTINGS) {
    const raw = values[s.flag];
    if (typeof raw === "string") settings[s.key] = s.parse(raw);
  }
  const flag = (name: string) => values[name] === true;
  const str = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  if (command === "create" && str("database-url") !== undefined) {
    throw new UsageError("--database-url belongs to the verify command: create-video-backend verify [dir] --database-url URL.");
  }
  if (values["allow-destructive"] === true && command !== "add" && command !== "upgrade") {
    throw new UsageError("--allow-destructive belongs to add and upgrade.");
  }
  if ((command === "add" || command === "upgrade") && Object.keys(lists).length > 0) {
    const given = CHOICES.filter((c) => lists[c.key] !== undefined).map((c) => `--${c.flag}`).join(", ");
    throw new UsageError(
      command === "add"
        ? `add takes features as words, not ${given}: e.g. create-video-backend add iap google, add runway.`
        : `upgrade keeps the recorded choices (${given} given); to add a feature use: create-video-backend add <feature>.`,
    );
  }
  for (const flag of ["project-ref", "from", "db-url"]) {
    if (flag === "from" && command === "upgrade") continue;
    if (command !== "deploy" && str(flag) !== undefined) {
      throw new UsageError(
        flag === "from"
          ? "--from belongs to deploy (the step to resume from) and upgrade (the old version's package): create-video-backend deploy [dir] --from <step>, create-video-backend upgrade [dir] --from <package.tgz>."
          : `--${flag} belongs to the deploy command: create-video-backend deploy [dir] --${flag} …`,
      );
    }
  }
  const rawFormat = str(FORMAT_FLAG.flag);
  const format = rawFormat === undefined ? "files" : parseFormat(rawFormat);
  if (rawFormat !== undefined && (command !== "create" || !flag("dry-run"))) {
    throw new UsageError(
      `--format applies only to a dry run of create: create-video-backend [dir] --dry-run --format ${format}.`,
    );
  }
  return {
    command,
    dir: command === "add" ? undefined : rest[0],
    words: command === "add" ? rest : [],
    allowDestructive: flag("allow-destructive"),
    lists,
    settings,
    yes: flag("yes"),
    force: flag("force"),
    dryRun: flag("dry-run"),
    format,
    json: flag("json"),
    git: !flag("no-git"),
    install: !flag("no-install"),
    help: flag("help"),
    version: flag("version"),
    databaseUrl: str("database-url"),
    projectRef: str("project-ref"),
    from: str("from"),
    dbUrl: str("db-url"),
  };
}
