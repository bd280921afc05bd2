/**
 * The `[regime] schedules` check on small projects: it passes well-formed
 * schedules and fails each way a schedule goes wrong in production, naming
 * the job.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { preparePlatform, type PostgresServer, startPostgres, withClient } from "../../src/verify/postgres.js";
import { checkSchedules } from "../../src/verify/schedules.js";

const ENABLE = `
create extension if not exists pg_cron with schema pg_catalog;
create extension if not exists pg_net with schema extensions;
`;

/** A job calling an Edge Function the way the generated projects do (secrets from Vault). */
function httpJob(
  name: string,
  opts: { url?: string; headers?: string; timeout?: number; guard?: boolean; schedule?: string } = {},
): string {
  const url = opts.url ?? "s.project_url || '/functions/v1/poll-jobs'";
  const headers = opts.headers ?? "jsonb_build_object('Authorization', 'Bearer ' || s.cron_secret)";
  return `
select cron.schedule('${name}', '${opts.schedule ?? "* * * * *"}', $job$
  select net.http_post(url := ${url}, headers := ${headers}, body := '{}'::jsonb${opts.timeout ? `, timeout_milliseconds := ${opts.timeout}` : ""})
  from (select
    (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') as project_url,
    (select decrypted_secret from vault.decrypted_secrets where name = 'cron_secret') as cron_secret) s
  ${opts.guard === false ? "" : "where s.project_url is not null and s.cron_secret is not null"}
$job$);
`;
}

let server: PostgresServer;
let plain: PostgresServer;
let tmp: string;

beforeAll(async () => {
  [server, plain] = await Promise.all([startPostgres({ pgMajor: 17 }), startPostgres({ pgMajor: 17, extensions: false })]);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-schedules-"));
});
afterAll(async () => {
  await Promise.all([server?.stop(), plain?.stop()]);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Applies the migrations as postgres to a fresh platform database, then checks. */
async function check(migrations: Record<string, string>, opts: { functions?: string[]; on?: PostgresServer; after?: string } = {}) {
  const db = await preparePlatform((opts.on ?? server).superuserUrl, { regime: "2026" });
  const dir = fs.mkdtempSync(path.join(tmp, "migrations-"));
  for (const [file, sql] of Object.entries(migrations)) fs.writeFileSync(path.join(dir, file), sql);
  await withClient(db.postgresUrl, async (c) => {
    for (const file of Object.keys(migrations).sort()) await c.query(migrations[file]!);
  });
  if (opts.after) await withClient(db.superuserUrl, (c) => c.query(opts.after!));
  return checkSchedules({
    superuserUrl: db.superuserUrl,
    migrationRole: "postgres",
    database: db.database,
    migrationsDir: dir,
    migrations: Object.keys(migrations).sort(),
    functions: opts.functions ?? ["poll-jobs"],
  });
}

describe("[regime] schedules", () => {
  it("passes an HTTP job and a SQL job, saying what each sends", async () => {
    const r = await check({
      "01_schedules.sql": ENABLE + httpJob("poll", { timeout: 55000 }) + "select cron.schedule('tidy', '17 3 * * *', 'select 1');",
    });
    expect(r.status, r.detail).toBe("pass");
    expect(r.detail).toBe(
      [
        "2 jobs run as pg_cron would (emulated pg_cron); none sends without the Vault secrets; re-running 1 schedule migration adds no job",
        "poll (* * * * *): POST <project_url>/functions/v1/poll-jobs (timeout 55 s)",
        "tidy (17 3 * * *)",
      ].join("\n"),
    );
  });

  it("passes a project without schedules", async () => {
    expect(await check({ "01_t.sql": "create table public.t (id int primary key);" })).toEqual({ status: "pass", detail: "no cron jobs (pg_cron is not enabled and no migration schedules)" });
  });

  it("fails a job whose command fails, naming the job, its migration and the error", async () => {
    const r = await check({ "01_s.sql": ENABLE + "select cron.schedule('reap', '*/5 * * * *', 'select public.reap_stuck_jobz()');" });
    expect(r.status).toBe("fail");
    expect(r.detail).toBe(
      "job reap (*/5 * * * *) (scheduled in supabase/migrations/01_s.sql): its command fails: 42883 function public.reap_stuck_jobz() does not exist (line 1 of the command)",
    );
  });

  it("runs the command as the job's role, not as the superuser", async () => {
    const r = await check({ "01_s.sql": ENABLE + "select cron.schedule('peek', '0 * * * *', 'select * from vault._root_key');" });
    expect(r.status).toBe("fail");
    expect(r.detail).toMatch(/job peek \(0 \* \* \* \*\).*: its command fails: 42501 permission denied for table _root_key/);
  });

  it("fails a job that calls out before the Vault secrets exist", async () => {
    const r = await check({ "01_s.sql": ENABLE + httpJob("eager", { url: "'https://fixed.supabase.co/functions/v1/poll-jobs'", guard: false }) });
    expect(r.status).toBe("fail");
    expect(r.detail).toMatch(/^job eager \(\* \* \* \* \*\): sends 1 request\(s\) without the Vault secrets project_url and cron_secret \(to https:\/\/fixed.supabase.co\/functions\/v1\/poll-jobs\): it must send nothing until they exist$/m);
    // And once they exist, it still ignores the project's URL.
    expect(r.detail).toMatch(/job eager .*: POST https:\/\/fixed.supabase.co\/functions\/v1\/poll-jobs: the URL must be the Vault's project_url followed by \/functions\/v1\/<function>/);
  });

  it("fails a call to a function the project does not have", async () => {
    const r = await check({ "01_s.sql": ENABLE + httpJob("poll", { url: "s.project_url || '/functions/v1/poll-job'" }) });
    expect(r.status).toBe("fail");
    expect(r.detail).toMatch(/job poll \(\* \* \* \* \*\): POST https:\/\/verify-[0-9a-f]+\.supabase\.co\/functions\/v1\/poll-job: there is no Edge Function poll-job in supabase\/functions \(poll-jobs\)/);
  });

  it("fails a call without the cron secret as bearer token", async () => {
    const r = await check({ "01_s.sql": ENABLE + httpJob("poll", { headers: "jsonb_build_object('apikey', s.cron_secret)" }) });
    expect(r.status).toBe("fail");
    expect(r.detail).toMatch(/job poll .*: the Authorization header must be "Bearer " followed by the Vault's cron_secret \(it is missing\)/);
  });

  it("fails a timeout no Edge Function can use", async () => {
    const r = await check({ "01_s.sql": ENABLE + httpJob("poll", { timeout: 600000 }) });
    expect(r.status).toBe("fail");
    expect(r.detail).toMatch(/job poll .*: timeout_milliseconds is 600000: give the function between 1000 and 150000 ms/);
  });

  it("fails an unnamed job, which each run of the migration adds again", async () => {
    const r = await check({ "01_s.sql": ENABLE + "select cron.schedule('0 3 * * *', 'select 1');" });
    expect(r.status).toBe("fail");
    expect(r.detail).toMatch(/^job jobid \d+ \(0 3 \* \* \*\): has no name; cron.schedule\(schedule, command\) adds another job each time it runs/m);
    expect(r.detail).toMatch(/re-applying supabase\/migrations\/01_s.sql changed cron.job \(1 → 2 jobs\); added: \(unnamed \d+\) as postgres/);
  });

  it("fails a schedule migration that cannot run twice", async () => {
    const r = await check({ "01_s.sql": ENABLE + "create table public.log (id int);\nselect cron.schedule('tidy', '0 3 * * *', 'delete from public.log');" });
    expect(r.status).toBe("fail");
    expect(r.detail).toMatch(/re-applying supabase\/migrations\/01_s.sql fails \(relation "log" already exists\): a schedule migration must be safe to run again/);
  });

  it("fails an inactive job", async () => {
    const r = await check(
      { "01_s.sql": ENABLE + "select cron.schedule('tidy', '0 3 * * *', 'select 1');" },
      { after: "select cron.alter_job(jobid, active := false) from cron.job where jobname = 'tidy'" },
    );
    expect(r).toEqual({ status: "fail", detail: "job tidy (0 3 * * *): is not active, so it never runs" });
  });

  it("fails schedules skipped although pg_cron was there to enable", async () => {
    const guarded = "do $$ begin if exists (select from pg_extension where extname = 'pg_cron') then perform cron.schedule('tidy', '0 3 * * *', 'select 1'); end if; end $$;";
    const r = await check({ "01_s.sql": guarded });
    expect(r.status).toBe("fail");
    expect(r.detail).toMatch(/^pg_cron is available but the migrations did not enable it in verify_2026_[0-9a-f]+: so the schedules of supabase\/migrations\/01_s.sql were skipped and are not proven\.$/);
  });

  it("reports schedules it cannot prove on a server without pg_cron as missing, not passed", async () => {
    const guarded = "do $$ begin if exists (select from pg_extension where extname = 'pg_cron') then perform cron.schedule('tidy', '0 3 * * *', 'select 1'); end if; end $$;";
    const r = await check({ "01_s.sql": guarded }, { on: plain });
    expect(r.status).toBe("missing");
    expect(r.detail).toMatch(/^pg_cron is not available on this server: so the schedules of supabase\/migrations\/01_s.sql were skipped and are not proven\. verify's own PostgreSQL has them/);
  });
});
