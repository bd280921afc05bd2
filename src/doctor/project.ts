/**
 * What `doctor` and `deploy` read from a generated project: the options it was
 * generated with (video-backend.json), the variables those options need
 * (src/secrets.ts), and their values (.env, overridden by the environment).
 */
import fs from "node:fs";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import type { Options } from "../options.js";
import { enabled, type FunctionSpec, FUNCTIONS, featuresOf, type Has } from "../plan.js";
import { ENV_VARS, type EnvVar, isPlatformName } from "../secrets.js";

export interface GeneratedProject {
  dir: string;
  options: Options;
  has: Has;
  /** Variables the generated functions read, platform ones excluded. */
  envVars: EnvVar[];
  /** The generated Edge Functions, in deploy order. */
  functions: FunctionSpec[];
}

export class ProjectError extends Error {
  exitCode = 1;
}

export function readGeneratedProject(dir: string): GeneratedProject {
  const manifestPath = path.join(dir, "video-backend.json");
  let manifest: { options?: Partial<Options> };
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as { options?: Partial<Options> };
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : `unreadable (${(err as Error).message})`;
    throw new ProjectError(`${manifestPath} ${why}: run this in a project made by create-video-backend.`);
  }
  const o = manifest.options ?? {};
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  const bundleId = typeof o.bundleId === "string" ? o.bundleId : "com.example.videoapp";
  const options: Options = {
    auth: list(o.auth),
    iap: list(o.iap),
    providers: list(o.providers),
    monitoring: list(o.monitoring),
    trialCredits: typeof o.trialCredits === "number" ? o.trialCredits : 10,
    bundleId,
    androidPackage: typeof o.androidPackage === "string" ? o.androidPackage : bundleId,
    pgMajor: o.pgMajor === 15 ? 15 : 17,
    pm: o.pm ?? "npm",
    // A manifest without `agents` predates the team files: it has none.
    agents: o.agents === "claude" ? "claude" : "none",
  };
  const has = featuresOf(options);
  return {
    dir,
    options,
    has,
    envVars: ENV_VARS.filter((v) => !v.platform && !isPlatformName(v.name) && enabled(v.when, has)),
    functions: FUNCTIONS.filter((f) => enabled(f.when, has)),
  };
}

export type Source = ".env" | "environment";

export interface SecretValues {
  envFile: string;
  envFileExists: boolean;
  /** Non-empty values of the project's variables. */
  values: Map<string, string>;
  source: Map<string, Source>;
  /** How each value was written in .env: its first character after `=` (a quote or not). */
  quoting: Map<string, string>;
  /** Names in .env that no generated function reads (platform names included). */
  unknown: string[];
}

/**
 * Reads `.env` with the same parser as the Supabase CLI's `--env-file`
 * (dotenv), then lets the process environment override it, as dotenv itself
 * does: CI can set the secrets as environment variables and keep no .env.
 * Only the project's own names are taken from the environment; an empty value
 * counts as unset (the functions treat it so too).
 */
export function readSecretValues(project: GeneratedProject, env: NodeJS.ProcessEnv = process.env): SecretValues {
  const envFile = path.join(project.dir, ".env");
  let text: string | undefined;
  try {
    text = fs.readFileSync(envFile, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const fromFile = text === undefined ? {} : parseDotenv(text);
  const names = new Set(project.envVars.map((v) => v.name));
  const values = new Map<string, string>();
  const source = new Map<string, Source>();
  const quoting = new Map<string, string>();
  for (const name of names) {
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== "") {
      values.set(name, fromEnv);
      source.set(name, "environment");
    } else if (fromFile[name] !== undefined && fromFile[name] !== "") {
      values.set(name, fromFile[name]);
      source.set(name, ".env");
      const m = new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=\\s*(.?)`, "m").exec(text ?? "");
      quoting.set(name, m?.[1] ?? "");
    }
  }
  return {
    envFile,
    envFileExists: text !== undefined,
    values,
    source,
    quoting,
    unknown: Object.keys(fromFile).filter((n) => !names.has(n)),
  };
}
