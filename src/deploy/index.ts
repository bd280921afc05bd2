/**
 * `create-video-backend deploy [dir] [--project-ref R] [--dry-run] [--from STEP] [--db-url URL]`:
 * a generated project goes live with the pinned Supabase CLI.
 *
 *   doctor     every secret present and well-formed, before anything is touched
 *   link       supabase link --project-ref R
 *   config     supabase config push (auth: Apple, guests, manual linking)
 *   db         supabase db push (migrations; never the seed)
 *   vault      project_url and cron_secret for the schedules (supabase db query)
 *   secrets    supabase secrets set (only the project's own names, only what changed)
 *   functions  supabase functions deploy --use-api (only what changed)
 *   smoke      /health answers; generate-video refuses a caller without a JWT
 *
 * A failed step stops the run with exit 1 and says how to resume. No secret
 * value is printed: the CLI's output is relayed through a redactor.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { diagnose, formatProblem } from "../doctor/index.js";
import { readGeneratedProject, readSecretValues } from "../doctor/project.js";
import { UsageError } from "../options.js";
import { findBin } from "../verify/project.js";
import { consoleSteps } from "./console-urls.js";
import { redactUrlPassword, redactor, urlPassword } from "./redact.js";
import { STEP_NAMES, STEPS, type DeployContext, type StepName } from "./steps.js";
import { cliRunner, StepFailure } from "./supabase.js";

export { STEP_NAMES, type StepName } from "./steps.js";

export interface DeployOptions {
  projectRef?: string;
  dryRun?: boolean;
  from?: string;
  /** Database steps against this URL instead of the linked project. */
  dbUrl?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  supabaseBin?: string;
  smoke?: { timeoutMs: number; intervalMs: number };
  fetch?: typeof fetch;
  /** How to print the command that resumes (e.g. `npm run deploy --`). */
  command?: string;
}

export interface DeployResult {
  exitCode: number;
  done: StepName[];
  failed?: StepName;
}

const REF = /^[a-z]{20}$/;
/** Check kinds of plain settings (not redacted): everything else, including a variable with no check, is treated as a secret. */
const SETTING_KINDS = new Set(["url", "bool", "int", "oneOf", "option", "email"]);

function linkedRef(dir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dir, "supabase", ".temp", "project-ref"), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** config.toml must keep each function's JWT setting as generated: the gateway's check is part of the security model. */
function jwtSettingProblems(dir: string, fns: { name: string; verifyJwt: boolean }[]): string[] {
  let config: { functions?: Record<string, { verify_jwt?: unknown }> };
  try {
    config = parseToml(fs.readFileSync(path.join(dir, "supabase", "config.toml"), "utf8")) as typeof config;
  } catch (err) {
    return [`supabase/config.toml: ${(err as Error).message}`];
  }
  return fns.flatMap((f) => {
    const setting = config.functions?.[f.name]?.verify_jwt ?? true;
    return setting === f.verifyJwt
      ? []
      : [`supabase/config.toml [functions.${f.name}] verify_jwt = ${String(setting)}: it must be ${f.verifyJwt} (${f.verifyJwt ? "the app calls it with a user JWT" : "its callers have no user JWT; it checks them itself"})`];
  });
}

export async function runDeploy(dir: string, opts: DeployOptions = {}): Promise<DeployResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const env = opts.env ?? process.env;
  const command = opts.command ?? "create-video-backend deploy";
  const projectDir = path.resolve(dir);
  const from = opts.from ?? STEP_NAMES[0];
  if (!(STEP_NAMES as readonly string[]).includes(from)) {
    throw new UsageError(`--from must be one of ${STEP_NAMES.join(", ")}, got "${from}".`);
  }

  // 1. doctor: nothing is touched unless every secret is present and well-formed.
  const project = readGeneratedProject(projectDir);
  const values = readSecretValues(project, env);
  const doctor = diagnose(project, values);
  log(`deploy ${projectDir}`);
  const preflight = [...doctor.problems.map(formatProblem), ...jwtSettingProblems(projectDir, project.functions).map((p) => `✗ ${p}`)];
  for (const w of doctor.warnings) log(`! ${w}`);
  if (preflight.length > 0) {
    for (const line of preflight) log(line);
    log(`✗ doctor: ${preflight.length} problem${preflight.length === 1 ? "" : "s"}; nothing was deployed. Fix ${values.envFileExists ? ".env" : "them in .env (copy .env.example)"}, then run deploy again.`);
    return { exitCode: 1, done: [], failed: undefined };
  }
  log(`✓ doctor: ${values.values.size} secrets present and well-formed`);

  const linked = linkedRef(projectDir);
  const ref = opts.projectRef ?? linked;
  if (!ref) throw new UsageError("No Supabase project: give --project-ref <ref> (Dashboard › Project Settings › General › Project ID), or run `supabase link` first.");
  if (!REF.test(ref)) throw new UsageError(`--project-ref must be a project ref (20 lowercase letters), got "${ref}".`);
  const startAt = STEP_NAMES.indexOf(from as StepName);
  if (startAt > STEP_NAMES.indexOf("link") && linked !== ref) {
    throw new UsageError(`This project is linked to ${linked ?? "no project"}, not ${ref}: run deploy from the start (or --from link).`);
  }

  const bin = opts.supabaseBin ?? findBin("supabase", projectDir);
  if (!bin) {
    log("✗ The Supabase CLI is not installed: run npm install in the project (it pins the supabase package).");
    return { exitCode: 1, done: [] };
  }

  const functionsUrl = (values.values.get("PUBLIC_FUNCTIONS_URL") ?? `https://${ref}.supabase.co/functions/v1`).replace(/\/+$/, "");
  const projectUrl = functionsUrl.endsWith("/functions/v1") ? functionsUrl.slice(0, -"/functions/v1".length) : `https://${ref}.supabase.co`;

  // Every value that is not a plain setting is hidden from everything relayed.
  const secretValues = project.envVars.filter((v) => !SETTING_KINDS.has(v.check?.kind ?? "text")).flatMap((v) => values.values.get(v.name) ?? []);
  const redact = redactor([
    ...secretValues,
    ...urlPassword(opts.dbUrl),
    ...[env.SUPABASE_ACCESS_TOKEN, env.SUPABASE_DB_PASSWORD].filter((v): v is string => !!v),
  ]);
  let tempDir: string | undefined;
  const display = new Map<string, string>();
  if (opts.dbUrl) display.set(opts.dbUrl, redactUrlPassword(opts.dbUrl));
  const cli = cliRunner({ bin, cwd: projectDir, env, redact, log, display });
  const ctx: DeployContext = {
    project,
    secrets: values.values,
    ref,
    linkedRef: linked,
    functionsUrl,
    projectUrl,
    dbUrl: opts.dbUrl,
    cli,
    log,
    tempDir: () => {
      tempDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "cvb-deploy-"));
      return tempDir;
    },
    smoke: opts.smoke ?? { timeoutMs: 90_000, intervalMs: 3_000 },
    fetch: opts.fetch ?? fetch,
  };
  // Temp files are shown by what they hold, never by their path or contents.
  const originalShow = cli.show;
  cli.show = (args) => originalShow(args).replace(new RegExp(`${os.tmpdir().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/cvb-deploy-[^/ ]+/(\\S+)`, "g"), "<$1>");

  const steps = STEPS.slice(startAt);
  if (opts.dryRun) {
    log(`Dry run: deploy would run, against project ${ref}${opts.dbUrl ? ` (database ${redactUrlPassword(opts.dbUrl)})` : ""}:`);
    for (const [i, step] of steps.entries()) {
      log(`${startAt + i + 1}. ${step.name}: ${step.title}`);
      for (const c of step.plan(ctx)) log(`   $ ${c}`);
    }
    log("Nothing was changed.");
    return { exitCode: 0, done: [] };
  }

  const done: StepName[] = [];
  try {
    for (const [i, step] of steps.entries()) {
      log(`▸ [${startAt + i + 1}/${STEP_NAMES.length}] ${step.name}: ${step.title}`);
      try {
        const summary = await step.run(ctx);
        log(`✓ ${step.name}: ${summary}`);
        done.push(step.name);
      } catch (err) {
        const why = err instanceof StepFailure ? err.message : redact((err as Error).message);
        log(`✗ ${step.name} failed: ${why}`);
        log(done.length ? `Done before it: ${done.join(", ")} (each is complete; re-running them changes nothing).` : "No step had completed.");
        log(`Fix the cause, then resume with: ${command} --from ${step.name}`);
        return { exitCode: 1, done, failed: step.name };
      }
    }
  } finally {
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  }

  log(`Live: ${functionsUrl}`);
  const manual = consoleSteps(project.has, functionsUrl);
  if (manual.length) {
    log("Once per project, in the consoles:");
    for (const line of manual) log(`  ${line}`);
  }
  return { exitCode: 0, done };
}
