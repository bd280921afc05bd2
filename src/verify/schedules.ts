/**
 * `[regime] schedules`: the SQL that pg_cron runs in production, run here.
 *
 * After the migrations, every job in cron.job is run the way pg_cron runs it
 * (a session of the job's `username`, in its `database`, the command sent as
 * one simple query), once without the Vault secrets and once with them, each
 * time inside a transaction that is rolled back. pg_net queues a request in
 * net.http_request_queue and sends it only after commit, so the queue shows
 * exactly what would have been sent, and nothing is.
 *
 * What holds for every job of every project (the project's own expectations —
 * which jobs, which schedules, which effects — are its pgTAP tests):
 * - it has a name (an unnamed cron.schedule adds a job each time it runs), is
 *   active, and runs in the project's database as a role that can log in;
 * - its command parses and runs, with and without the secrets;
 * - without the secrets `project_url` and `cron_secret` it sends nothing;
 * - with them, every request goes to `<project_url>/functions/v1/<function>`
 *   for a function the project has, with `Authorization: Bearer <cron_secret>`
 *   and a timeout between 1 s and 150 s (an Edge Function's wall-clock limit);
 * - re-applying the migrations that schedule keeps the same jobs.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type pg from "pg";
import { EMULATED } from "./extensions.js";
import { withClient } from "./platform.js";
import { quoteIdent } from "./platform-sql.js";
import { fail, missing, type Outcome, pass } from "./report.js";

/** The Vault secrets the schedules read (the generated README tells the operator to create them). */
export const SCHEDULE_SECRETS = { projectUrl: "project_url", cronSecret: "cron_secret" } as const;
const MIN_TIMEOUT_MS = 1_000;
const MAX_TIMEOUT_MS = 150_000;
const JOB_TIMEOUT_MS = 60_000;

export interface ScheduleTarget {
  /** The migrated database, as the superuser. */
  superuserUrl: string;
  /** The role migrations run as (`postgres`). */
  migrationRole: string;
  database: string;
  /** supabase/migrations, and the file names in it. */
  migrationsDir: string;
  migrations: string[];
  /** The project's Edge Functions (folder names). */
  functions: string[];
}

interface Job {
  jobid: string;
  jobname: string | null;
  schedule: string;
  command: string;
  database: string;
  username: string;
  active: boolean;
}

interface QueuedRequest {
  method: string;
  url: string;
  headers: Record<string, string> | null;
  body: string | null;
  timeout_milliseconds: number;
}

/** What each extension is needed for, and how a migration shows it uses it. */
const NEEDS = [
  { extension: "pg_cron", uses: /\bcron\.schedule(_in_database)?\s*\(/i },
  { extension: "pg_net", uses: /\bnet\.http_(post|get|delete)\s*\(/i },
  { extension: "supabase_vault", uses: /\bvault\.(decrypted_secrets|secrets|create_secret)\b/i },
] as const;

/** The Edge Functions of a project: folders of supabase/functions with an index.ts. */
export function projectFunctions(functionsDir: string | undefined): string[] {
  if (!functionsDir || !fs.existsSync(functionsDir)) return [];
  return fs
    .readdirSync(functionsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith("_") && !e.name.startsWith("."))
    .filter((e) => fs.existsSync(path.join(functionsDir, e.name, "index.ts")))
    .map((e) => e.name)
    .sort();
}

export async function checkSchedules(t: ScheduleTarget): Promise<Outcome> {
  const texts = new Map(t.migrations.map((f) => [f, fs.readFileSync(path.join(t.migrationsDir, f), "utf8")]));
  const scheduling = [...texts].filter(([, sql]) => NEEDS[0].uses.test(sql)).map(([f]) => f);

  return withClient(t.superuserUrl, async (c) => {
    const installed = new Set(
      (await c.query<{ extname: string }>("select extname from pg_extension")).rows.map((r) => r.extname),
    );
    const available = new Map(
      (
        await c.query<{ name: string; comment: string | null }>(
          "select name, comment from pg_available_extensions where name in ('pg_cron', 'pg_net', 'supabase_vault')",
        )
      ).rows.map((r) => [r.name, r.comment ?? ""]),
    );

    // The platform pieces the scheduling migrations use must be there, or
    // those migrations skipped their schedules.
    const absent: string[] = [];
    let unavailable = false;
    for (const need of NEEDS) {
      const users = scheduling.filter((f) => need.uses.test(texts.get(f)!));
      if (users.length === 0 || installed.has(need.extension)) continue;
      if (!available.has(need.extension)) {
        unavailable = true;
        absent.push(`${need.extension} is not available on this server`);
        continue;
      }
      const cronDatabase =
        need.extension === "pg_cron"
          ? (await c.query<{ db: string | null }>("select current_setting('cron.database_name', true) as db")).rows[0]?.db
          : null;
      if (cronDatabase && cronDatabase !== t.database) {
        unavailable = true;
        absent.push(`pg_cron can only be created in database ${cronDatabase} on this server (cron.database_name)`);
      } else {
        absent.push(`${need.extension} is available but the migrations did not enable it in ${t.database}`);
      }
    }
    if (absent.length) {
      const skipped = `so the schedules of ${scheduling.map((f) => `supabase/migrations/${f}`).join(", ")} were skipped and are not proven`;
      return unavailable
        ? missing(`${absent.join("; ")}: ${skipped}. verify's own PostgreSQL has them: run verify without --database-url.`)
        : fail(`${absent.join("; ")}: ${skipped}.`);
    }
    if (!installed.has("pg_cron")) return pass("no cron jobs (pg_cron is not enabled and no migration schedules)");

    const jobs = await readJobs(c);
    if (jobs.length === 0 && scheduling.length === 0) return pass("no cron jobs");
    if (jobs.length === 0) {
      return fail(`${scheduling.map((f) => `supabase/migrations/${f}`).join(", ")} call cron.schedule, but cron.job is empty after the migrations`);
    }

    const scheduledIn = (job: Job) => {
      const file = job.jobname ? scheduling.find((f) => texts.get(f)!.includes(`'${job.jobname}'`)) : undefined;
      return file ? ` (scheduled in supabase/migrations/${file})` : "";
    };
    const problems: string[] = [];
    const summaries: string[] = [];
    const secrets = {
      projectUrl: `https://verify-${crypto.randomBytes(5).toString("hex")}.supabase.co`,
      cronSecret: crypto.randomBytes(18).toString("base64url"),
    };
    const hasNet = installed.has("pg_net");
    const hasVault = installed.has("supabase_vault");

    for (const job of jobs) {
      const name = job.jobname ?? `jobid ${job.jobid}`;
      const label = `job ${name} (${job.schedule})`;
      const before = problems.length;
      if (!job.jobname) {
        problems.push(`${label}: has no name; cron.schedule(schedule, command) adds another job each time it runs: use cron.schedule(job_name, schedule, command)`);
      }
      if (!job.active) problems.push(`${label}: is not active, so it never runs`);
      if (job.database !== t.database) {
        problems.push(`${label}: runs in database ${job.database}, not in the project's database ${t.database}`);
        continue;
      }
      const role = (
        await c.query<{ rolcanlogin: boolean }>("select rolcanlogin from pg_roles where rolname = $1", [job.username])
      ).rows[0];
      if (!role?.rolcanlogin) {
        problems.push(`${label}: runs as ${job.username}, which ${role ? "cannot log in" : "does not exist"}`);
        continue;
      }

      const without = await runAsCron(c, job, { hasNet, hasVault, secrets: undefined, migrationRole: t.migrationRole });
      if ("error" in without) {
        problems.push(`${label}${scheduledIn(job)}: its command fails: ${without.error}`);
        continue;
      }
      if (without.requests.length > 0) {
        problems.push(
          `${label}: sends ${without.requests.length} request(s) without the Vault secrets ${SCHEDULE_SECRETS.projectUrl} and ${SCHEDULE_SECRETS.cronSecret} (to ${without.requests.map((r) => r.url).join(", ")}): it must send nothing until they exist`,
        );
      }
      const withSecrets = await runAsCron(c, job, { hasNet, hasVault, secrets, migrationRole: t.migrationRole });
      if ("error" in withSecrets) {
        problems.push(`${label}${scheduledIn(job)}: its command fails once the Vault secrets exist: ${withSecrets.error}`);
        continue;
      }
      const sent: string[] = [];
      for (const r of withSecrets.requests) {
        const issues = requestProblems(r, secrets, t.functions);
        if (issues.length) problems.push(`${label}: ${r.method} ${r.url}: ${issues.join("; ")}`);
        sent.push(`${r.method} ${r.url.replace(secrets.projectUrl, "<project_url>")} (timeout ${r.timeout_milliseconds / 1000} s)`);
      }
      if (problems.length === before) summaries.push(`${name} (${job.schedule})${sent.length ? `: ${sent.join(", ")}` : ""}`);
    }

    // pg_cron replaces a job of the same name: re-applying must change nothing.
    if (scheduling.length) {
      const again = await reapply(c, t, scheduling, texts);
      if (again) problems.push(again);
    }

    if (problems.length) return fail(problems.join("\n"));
    const kind = (available.get("pg_cron") ?? "").includes(EMULATED) ? "emulated pg_cron" : "real pg_cron";
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
    return pass(
      [
        `${plural(jobs.length, "job")} run as pg_cron would (${kind}); none sends without the Vault secrets; ` +
          `re-running ${plural(scheduling.length, "schedule migration")} adds no job`,
        ...summaries,
      ].join("\n"),
    );
  });
}

async function readJobs(c: pg.Client): Promise<Job[]> {
  return (
    await c.query<Job>(
      "select jobid::text, jobname, schedule, command, database, username, active from cron.job order by jobid",
    )
  ).rows;
}

/**
 * Runs one job's command as pg_cron would, in a transaction that is rolled
 * back: as the job's role (SET SESSION AUTHORIZATION, from the superuser
 * session), the command sent alone as a simple query. The Vault holds only
 * the given secrets, created by the migration role as an operator would.
 */
async function runAsCron(
  c: pg.Client,
  job: Job,
  opts: {
    hasNet: boolean;
    hasVault: boolean;
    secrets: { projectUrl: string; cronSecret: string } | undefined;
    migrationRole: string;
  },
): Promise<{ requests: QueuedRequest[] } | { error: string }> {
  await c.query("begin");
  try {
    if (opts.hasVault) {
      await c.query("delete from vault.secrets");
      if (opts.secrets) {
        await c.query(`set local role ${quoteIdent(opts.migrationRole)}`);
        await c.query("select vault.create_secret($1, $2), vault.create_secret($3, $4)", [
          opts.secrets.projectUrl,
          SCHEDULE_SECRETS.projectUrl,
          opts.secrets.cronSecret,
          SCHEDULE_SECRETS.cronSecret,
        ]);
        await c.query("reset role");
      }
    }
    const last = opts.hasNet
      ? (await c.query<{ id: string }>("select coalesce(max(id), 0)::text as id from net.http_request_queue")).rows[0]!.id
      : "0";
    await c.query(`set local session authorization ${quoteIdent(job.username)}`);
    // A job that hangs fails the check instead of hanging verify.
    await c.query(`set local statement_timeout = ${JOB_TIMEOUT_MS}`);
    try {
      await c.query(job.command);
    } catch (err) {
      return { error: describeError(err as Error & { code?: string; position?: string }, job.command) };
    }
    await c.query("reset session authorization");
    const requests = opts.hasNet
      ? (
          await c.query<QueuedRequest>(
            "select method, url, headers, convert_from(body, 'utf8') as body, timeout_milliseconds from net.http_request_queue where id > $1::bigint order by id",
            [last],
          )
        ).rows
      : [];
    return { requests };
  } finally {
    await c.query("rollback");
  }
}

function describeError(e: Error & { code?: string; position?: string }, command: string): string {
  const pos = Number(e.position);
  const line = pos ? ` (line ${command.slice(0, pos - 1).split("\n").length} of the command)` : "";
  return `${e.code ? `${e.code} ` : ""}${e.message}${line}`;
}

function requestProblems(
  r: QueuedRequest,
  secrets: { projectUrl: string; cronSecret: string },
  functions: string[],
): string[] {
  const issues: string[] = [];
  const prefix = `${secrets.projectUrl}/functions/v1/`;
  const fn = r.url.startsWith(prefix) ? r.url.slice(prefix.length).split(/[/?#]/)[0] : undefined;
  if (fn === undefined) {
    issues.push(`the URL must be the Vault's ${SCHEDULE_SECRETS.projectUrl} followed by /functions/v1/<function>`);
  } else if (!functions.includes(fn)) {
    issues.push(`there is no Edge Function ${fn} in supabase/functions (${functions.join(", ") || "none"})`);
  }
  const auth = Object.entries(r.headers ?? {}).find(([k]) => k.toLowerCase() === "authorization")?.[1];
  if (auth !== `Bearer ${secrets.cronSecret}`) {
    issues.push(`the Authorization header must be "Bearer " followed by the Vault's ${SCHEDULE_SECRETS.cronSecret}${auth ? "" : " (it is missing)"}`);
  }
  if (!(r.timeout_milliseconds >= MIN_TIMEOUT_MS && r.timeout_milliseconds <= MAX_TIMEOUT_MS)) {
    issues.push(`timeout_milliseconds is ${r.timeout_milliseconds}: give the function between ${MIN_TIMEOUT_MS} and ${MAX_TIMEOUT_MS} ms`);
  }
  return issues;
}

/** Re-applies the scheduling migrations (as the migration role, rolled back) and compares cron.job. */
async function reapply(c: pg.Client, t: ScheduleTarget, files: string[], texts: Map<string, string>): Promise<string | undefined> {
  const before = await readJobs(c);
  await c.query("begin");
  try {
    await c.query(`set local session authorization ${quoteIdent(t.migrationRole)}`);
    for (const file of files) {
      try {
        await c.query(texts.get(file)!);
      } catch (err) {
        return `re-applying supabase/migrations/${file} fails (${(err as Error).message}): a schedule migration must be safe to run again`;
      }
    }
    await c.query("reset session authorization");
    const after = await readJobs(c);
    // Same jobs by name and role; an unnamed job counts by its id (running again adds one).
    const names = (jobs: Job[]) => jobs.map((j) => `${j.jobname ?? `(unnamed ${j.jobid})`} as ${j.username}`).sort();
    const [was, now] = [names(before), names(after)];
    const added = now.filter((n) => !was.includes(n));
    const removed = was.filter((n) => !now.includes(n));
    if (added.length || removed.length || was.length !== now.length) {
      return (
        `re-applying ${files.map((f) => `supabase/migrations/${f}`).join(", ")} changed cron.job (${was.length} → ${now.length} jobs)` +
        `${added.length ? `; added: ${added.join(", ")}` : ""}${removed.length ? `; removed: ${removed.join(", ")}` : ""}` +
        ": schedule with cron.schedule(job_name, ...) so that running again updates the job in place"
      );
    }
    return undefined;
  } finally {
    await c.query("rollback");
  }
}
