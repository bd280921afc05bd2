/**
 * argv → what the user asked for. Every flag comes from the registry in
 * options.ts; nothing here knows a choice by name.
 */
import { parseArgs } from "node:util";
import {
  CHOICES,
  type ListChoiceKey,
  type Options,
  parseList,
  SETTINGS,
  type SettingKey,
  SWITCHES,
  UsageError,
} from "./options.js";

export interface Args {
  command: "create" | "verify" | "doctor" | "deploy";
  dir?: string;
  /** Choices given on the command line; the rest comes from --yes or the prompts. */
  lists: Partial<Pick<Options, ListChoiceKey>>;
  settings: Partial<Record<SettingKey, string | number>>;
  yes: boolean;
  force: boolean;
  dryRun: boolean;
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

/** Commands that take a project directory rather than creating one. */
const PROJECT_COMMANDS = ["verify", "doctor", "deploy"] as const;

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
  config["database-url"] = { type: "string" };
  for (const flag of ["project-ref", "from", "db-url"]) config[flag] = { type: "string" };
  return config;
}

export function parseArgv(argv: string[]): Args {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: parseConfig(), allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify.*$/s, ".")} Run with --help to see every flag.`);
  }
  const { values, positionals } = parsed;
  const first = positionals[0] as (typeof PROJECT_COMMANDS)[number] | undefined;
  const command: Args["command"] = first && PROJECT_COMMANDS.includes(first) ? first : "create";
  const rest = command === "create" ? positionals : positionals.slice(1);
  if (rest.length > 1) {
    throw new UsageError(`Expected one project directory, got ${rest.length}: ${rest.join(" ")}.`);
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
  if (command === "create" && typeof values["database-url"] === "string") {
    throw new UsageError("--database-url belongs to the verify command: create-video-backend verify [dir] --database-url URL.");
  }
  const str = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  for (const flag of ["project-ref", "from", "db-url"]) {
    if (command !== "deploy" && str(flag) !== undefined) {
      throw new UsageError(`--${flag} belongs to the deploy command: create-video-backend deploy [dir] --${flag} …`);
    }
  }
  return {
    command,
    dir: rest[0],
    lists,
    settings,
    yes: flag("yes"),
    force: flag("force"),
    dryRun: flag("dry-run"),
    json: flag("json"),
    git: !flag("no-git"),
    install: !flag("no-install"),
    help: flag("help"),
    version: flag("version"),
    databaseUrl: typeof values["database-url"] === "string" ? values["database-url"] : undefined,
    projectRef: str("project-ref"),
    from: str("from"),
    dbUrl: str("db-url"),
  };
}
