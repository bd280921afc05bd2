/**
 * The platform pieces the schedules use, as verify provides them: pg_cron (the
 * real one on PostgreSQL 15 with postgresql-15-cron, verify's emulation on 17),
 * pg_net (queued, never sent) and Supabase Vault. Each must keep Supabase's
 * signatures, behaviour and privileges, so that SQL which works or fails on
 * Supabase works or fails here.
 */
import fs from "node:fs";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findBinaries } from "../../src/verify/binaries.js";
import { installPgtapFiles } from "../../src/verify/pgtap.js";
import {
  type PlatformDatabase,
  type PostgresServer,
  preparePlatform,
  realPgCronAvailable,
  startPostgres,
  withClient,
} from "../../src/verify/postgres.js";

/** Runs a statement expected to fail, returning its error message. */
async function failure(c: pg.Client, sql: string, params: unknown[] = []): Promise<string> {
  await c.query("savepoint s");
  try {
    await c.query(sql, params);
  } catch (err) {
    await c.query("rollback to savepoint s");
    return (err as Error).message;
  }
  await c.query("release savepoint s");
  throw new Error(`expected to fail: ${sql}`);
}

const MAJORS = [
  { major: 17 as const, cron: "emulated" as const },
  // The real pg_cron only exists in the one database the server names up front.
  { major: 15 as const, cron: "real" as const, cronDatabase: "verify_unit" },
];

describe.each(MAJORS)("PostgreSQL $major, $cron pg_cron", ({ major, cron, cronDatabase }) => {
  const runs = cron === "emulated" || realPgCronAvailable(15);
  let server: PostgresServer;
  let db: PlatformDatabase;

  beforeAll(async () => {
    if (!runs) return;
    server = await startPostgres({ pgMajor: major, ...(cronDatabase ? { cronDatabase } : {}) });
    db = await preparePlatform(server.superuserUrl, { regime: "2026", ...(cronDatabase ? { database: cronDatabase } : {}) });
    // As the generated scheduler_extensions migration does, as role postgres.
    await withClient(db.postgresUrl, async (c) => {
      await c.query("create extension pg_cron with schema pg_catalog");
      await c.query("create extension pg_net with schema extensions");
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.skipIf(!runs)("offers the extensions, runs the requested pg_cron, and lets postgres create them as supautils does", async () => {
    expect(server.pgCron).toBe(cron);
    await withClient(db.superuserUrl, async (c) => {
      const ext = await c.query(
        "select extname, extowner::regrole::text as owner, extnamespace::regnamespace::text as schema from pg_extension where extname in ('pg_cron', 'pg_net', 'supabase_vault') order by 1",
      );
      // Privileged extensions belong to supabase_admin on Supabase, whoever asked.
      expect(ext.rows).toEqual([
        { extname: "pg_cron", owner: "supabase_admin", schema: "pg_catalog" },
        { extname: "pg_net", owner: "supabase_admin", schema: "extensions" },
        { extname: "supabase_vault", owner: "supabase_admin", schema: "vault" },
      ]);
      const version = (await c.query("select extversion from pg_extension where extname = 'pg_cron'")).rows[0].extversion;
      expect(version).toBe(cron === "real" ? "1.4-1" : "1.6");
    });
  });

  it.skipIf(!runs)("grants postgres what Supabase grants it on cron and net, and no more", async () => {
    await withClient(db.superuserUrl, async (c) => {
      const priv = await c.query(`
        select has_schema_privilege('postgres', 'cron', 'usage') as cron_usage,
               has_table_privilege('postgres', 'cron.job', 'select') as job_select,
               has_table_privilege('postgres', 'cron.job', 'insert') or has_table_privilege('postgres', 'cron.job', 'update')
                 or has_table_privilege('postgres', 'cron.job', 'delete') as job_write,
               has_table_privilege('postgres', 'cron.job_run_details', 'delete') as details_delete,
               has_table_privilege('postgres', 'cron.job_run_details', 'trigger') as details_trigger,
               has_function_privilege('postgres', 'cron.schedule_in_database(text,text,text,text,text,boolean)', 'execute') as in_database,
               has_function_privilege('postgres', 'cron.alter_job(bigint,text,text,text,text,boolean)', 'execute') as alter_job,
               has_schema_privilege('service_role', 'net', 'usage') as net_usage,
               has_function_privilege('anon', 'net.http_post(text,jsonb,jsonb,jsonb,integer)', 'execute') as anon_post`);
      expect(priv.rows[0]).toEqual({
        cron_usage: true,
        job_select: true,
        job_write: false,
        details_delete: true,
        details_trigger: false,
        in_database: false,
        alter_job: false,
        net_usage: true,
        anon_post: true,
      });
    });
    await withClient(db.postgresUrl, async (c) => {
      await c.query("begin");
      expect(await failure(c, "insert into cron.job (schedule, command) values ('* * * * *', 'select 1')")).toMatch(/permission denied for table job/);
      await c.query("rollback");
    });
  });

  it.skipIf(!runs)("has pg_cron's functions with pg_cron's signatures", async () => {
    await withClient(db.superuserUrl, async (c) => {
      const fns = await c.query(
        "select p.proname || '(' || pg_get_function_arguments(p.oid) || ') ' || pg_get_function_result(p.oid) as f from pg_proc p where p.pronamespace = 'cron'::regnamespace and p.proname in ('schedule', 'unschedule', 'schedule_in_database', 'alter_job') order by 1",
      );
      // 1.5 changed unschedule's job_name from name to text.
      const jobName = cron === "real" ? "name" : "text";
      expect(fns.rows.map((r) => r.f)).toEqual([
        "alter_job(job_id bigint, schedule text DEFAULT NULL::text, command text DEFAULT NULL::text, database text DEFAULT NULL::text, username text DEFAULT NULL::text, active boolean DEFAULT NULL::boolean) void",
        "schedule(job_name text, schedule text, command text) bigint",
        "schedule(schedule text, command text) bigint",
        "schedule_in_database(job_name text, schedule text, command text, database text, username text DEFAULT NULL::text, active boolean DEFAULT true) bigint",
        `unschedule(job_id bigint) boolean`,
        `unschedule(job_name ${jobName}) boolean`,
      ]);
      const cols = await c.query(
        "select table_name, string_agg(column_name, ',' order by ordinal_position) as cols from information_schema.columns where table_schema = 'cron' group by 1 order by 1",
      );
      expect(cols.rows).toEqual([
        { table_name: "job", cols: "jobid,schedule,command,nodename,nodeport,database,username,active,jobname" },
        { table_name: "job_run_details", cols: "jobid,runid,job_pid,database,username,command,status,return_message,start_time,end_time" },
      ]);
    });
  });

  it.skipIf(!runs)("schedules as pg_cron does: one job per name and role, updated in place, removable by name", async () => {
    await withClient(db.postgresUrl, async (c) => {
      await c.query("begin");
      const first = (await c.query("select cron.schedule('tidy', '*/5 * * * *', 'select 1') as id")).rows[0].id;
      const again = (await c.query("select cron.schedule('tidy', '17 3 * * *', 'select 2') as id")).rows[0].id;
      expect(again).toBe(first);
      const job = await c.query("select schedule, command, username, database, active, jobname from cron.job where jobid = $1", [first]);
      expect(job.rows).toEqual([
        { schedule: "17 3 * * *", command: "select 2", username: "postgres", database: db.database, active: true, jobname: "tidy" },
      ]);
      // An unnamed job is a new job every time.
      await c.query("select cron.schedule('0 * * * *', 'select 3')");
      await c.query("select cron.schedule('0 * * * *', 'select 3')");
      expect((await c.query("select count(*)::int as n from cron.job where command = 'select 3'")).rows[0].n).toBe(2);
      expect(await failure(c, "select cron.schedule('bad', 'every minute', 'select 1')")).toBe("invalid schedule: every minute");
      expect((await c.query("select cron.unschedule('tidy') as ok")).rows[0].ok).toBe(true);
      expect(await failure(c, "select cron.unschedule('tidy')")).toBe("could not find valid entry for job 'tidy'");
      await c.query("rollback");
    });
  });

  it.skipIf(!runs)("keeps a role's jobs its own: postgres cannot remove a job of another role", async () => {
    const id = await withClient(db.superuserUrl, async (c) =>
      (await c.query("select cron.schedule('admin-job', '0 0 * * *', 'select 1') as id")).rows[0].id,
    );
    try {
      await withClient(db.postgresUrl, async (c) => {
        await c.query("begin");
        // postgres bypasses RLS on Supabase, so it sees the job, and still may not remove it.
        expect((await c.query("select count(*)::int as n from cron.job where jobname = 'admin-job'")).rows[0].n).toBe(1);
        expect(await failure(c, "select cron.unschedule($1::bigint)", [id])).toMatch(/permission denied for table job/);
        expect(await failure(c, "select cron.unschedule('admin-job')")).toBe("could not find valid entry for job 'admin-job'");
        await c.query("rollback");
      });
    } finally {
      await withClient(db.superuserUrl, (c) => c.query("select cron.unschedule($1::bigint)", [id]));
    }
  });

  it.skipIf(!runs)("has pg_net 0.20's request functions, with its defaults", async () => {
    await withClient(db.superuserUrl, async (c) => {
      const fns = await c.query(
        "select p.proname || '(' || pg_get_function_arguments(p.oid) || ') ' || pg_get_function_result(p.oid) as f from pg_proc p where p.pronamespace = 'net'::regnamespace and p.proname like 'http\\_%' order by 1",
      );
      expect(fns.rows.map((r) => r.f)).toEqual([
        "http_collect_response(request_id bigint, async boolean DEFAULT true) net.http_response_result",
        "http_delete(url text, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT '{}'::jsonb, timeout_milliseconds integer DEFAULT 5000, body jsonb DEFAULT NULL::jsonb) bigint",
        "http_get(url text, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT '{}'::jsonb, timeout_milliseconds integer DEFAULT 5000) bigint",
        `http_post(url text, body jsonb DEFAULT '{}'::jsonb, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT '{"Content-Type": "application/json"}'::jsonb, timeout_milliseconds integer DEFAULT 5000) bigint`,
      ]);
    });
  });

  it.skipIf(!runs)("queues requests as pg_net does, and sends nothing", async () => {
    await withClient(db.postgresUrl, async (c) => {
      await c.query("begin");
      const id = (
        await c.query(
          `select net.http_post(url := 'https://ref.supabase.co/functions/v1/poll-jobs', body := '{"a": 1}',
             params := '{"q": "a b/é"}', headers := '{"Authorization": "Bearer s"}', timeout_milliseconds := 55000) as id`,
        )
      ).rows[0].id;
      const queued = await c.query(
        "select method::text, url, headers, convert_from(body, 'utf8') as body, timeout_milliseconds from net.http_request_queue where id = $1",
        [id],
      );
      expect(queued.rows).toEqual([
        {
          method: "POST",
          url: "https://ref.supabase.co/functions/v1/poll-jobs?q=a%20b%2F%C3%A9",
          // pg_net adds the JSON content type it requires.
          headers: { Authorization: "Bearer s", "Content-Type": "application/json" },
          body: '{"a": 1}',
          timeout_milliseconds: 55000,
        },
      ]);
      const get = (await c.query("select net.http_get('https://x.test') as id")).rows[0].id;
      expect((await c.query("select method::text, timeout_milliseconds from net.http_request_queue where id = $1", [get])).rows).toEqual([
        { method: "GET", timeout_milliseconds: 5000 },
      ]);
      expect(await failure(c, `select net.http_post('https://x.test', headers := '{"content-type": "text/plain"}')`)).toBe(
        'Content-Type header must be "application/json"',
      );
      await c.query("commit");
      // Committed, and still no response: nothing sends requests here.
      expect((await c.query("select count(*)::int as n from net._http_response")).rows[0].n).toBe(0);
      await c.query("delete from net.http_request_queue");
    });
  });

  it.skipIf(!runs)("has Vault's functions and view with Vault's signatures", async () => {
    await withClient(db.superuserUrl, async (c) => {
      const fns = await c.query(
        "select p.proname || '(' || pg_get_function_arguments(p.oid) || ') ' || pg_get_function_result(p.oid) as f from pg_proc p where p.pronamespace = 'vault'::regnamespace and p.proname in ('create_secret', 'update_secret') order by 1",
      );
      expect(fns.rows.map((r) => r.f)).toEqual([
        "create_secret(new_secret text, new_name text DEFAULT NULL::text, new_description text DEFAULT ''::text, new_key_id uuid DEFAULT NULL::uuid) uuid",
        "update_secret(secret_id uuid, new_secret text DEFAULT NULL::text, new_name text DEFAULT NULL::text, new_description text DEFAULT NULL::text, new_key_id uuid DEFAULT NULL::uuid) void",
      ]);
      const cols = await c.query(
        "select table_name, string_agg(column_name, ',' order by ordinal_position) as cols from information_schema.columns where table_schema = 'vault' and table_name in ('secrets', 'decrypted_secrets') group by 1 order by 1",
      );
      expect(cols.rows).toEqual([
        { table_name: "decrypted_secrets", cols: "id,name,description,secret,decrypted_secret,key_id,nonce,created_at,updated_at" },
        { table_name: "secrets", cols: "id,name,description,secret,key_id,nonce,created_at,updated_at" },
      ]);
    });
  });

  it.skipIf(!runs)("lets postgres keep secrets in Vault, stored encrypted, and nobody else", async () => {
    await withClient(db.postgresUrl, async (c) => {
      await c.query("begin");
      const id = (await c.query("select vault.create_secret('https://ref.supabase.co', 'project_url', 'where poll-jobs lives') as id")).rows[0].id;
      const row = (await c.query("select secret, decrypted_secret, description from vault.decrypted_secrets where id = $1", [id])).rows[0];
      expect(row.decrypted_secret).toBe("https://ref.supabase.co");
      expect(row.description).toBe("where poll-jobs lives");
      expect(row.secret).not.toContain("ref.supabase.co");
      expect(Buffer.from(row.secret, "base64").toString("base64")).toBe(row.secret.replace(/\n/g, ""));
      await c.query("select vault.update_secret($1, 'https://other.supabase.co', 'url')", [id]);
      expect((await c.query("select name, decrypted_secret from vault.decrypted_secrets where id = $1", [id])).rows).toEqual([
        { name: "url", decrypted_secret: "https://other.supabase.co" },
      ]);
      expect(await failure(c, "select vault.create_secret('again', 'url')")).toMatch(/duplicate key value violates unique constraint "secrets_name_idx"/);
      expect(await failure(c, "update vault.secrets set name = 'x'")).toMatch(/permission denied for table secrets/);
      expect(await failure(c, "select * from vault._root_key")).toMatch(/permission denied/);
      for (const role of ["anon", "authenticated", "service_role"]) {
        await c.query(`set local role ${role}`);
        expect(await failure(c, "select decrypted_secret from vault.decrypted_secrets")).toMatch(/permission denied/);
        expect(await failure(c, "select vault.create_secret('x')")).toMatch(/permission denied/);
        await c.query("reset role");
      }
      await c.query("delete from vault.secrets where id = $1", [id]);
      await c.query("rollback");
    });
  });

  it.skipIf(!runs)("authenticates what it stores: a secret tampered with or moved to another id does not decrypt", async () => {
    await withClient(db.superuserUrl, async (c) => {
      await c.query("begin");
      const a = (await c.query("select vault.create_secret('first value', 'a') as id")).rows[0].id;
      const b = (await c.query("select vault.create_secret('second value', 'b') as id")).rows[0].id;
      await c.query("savepoint s");
      await c.query("update vault.secrets set secret = (select secret from vault.secrets where id = $2), nonce = (select nonce from vault.secrets where id = $2) where id = $1", [a, b]);
      expect(await failure(c, "select decrypted_secret from vault.decrypted_secrets where id = $1", [a])).toMatch(/invalid message/);
      await c.query("rollback to savepoint s");
      await c.query("update vault.secrets set secret = encode(set_byte(decode(secret, 'base64'), 0, get_byte(decode(secret, 'base64'), 0) # 1), 'base64') where id = $1", [a]);
      expect(await failure(c, "select decrypted_secret from vault.decrypted_secrets where id = $1", [a])).toMatch(/invalid message/);
      await c.query("rollback");
    });
  });
});

describe("pg_cron's schedule syntax, emulated as the real pg_cron parses it", () => {
  const real = realPgCronAvailable(15);
  let emulated: PostgresServer;
  let pg15: PostgresServer | undefined;
  beforeAll(async () => {
    [emulated, pg15] = await Promise.all([
      startPostgres({ pgMajor: 17 }),
      real ? startPostgres({ pgMajor: 15, cronDatabase: "cron_syntax" }) : Promise.resolve(undefined),
    ]);
  });
  afterAll(async () => {
    await Promise.all([emulated?.stop(), pg15?.stop()]);
  });

  /** Which of the schedules cron.schedule accepts, on one server. */
  async function accepted(superuserUrl: string, database: string, schedules: string[]): Promise<boolean[]> {
    const db = await preparePlatform(superuserUrl, { regime: "legacy", database });
    return withClient(db.superuserUrl, async (c) => {
      await c.query("create extension pg_cron with schema pg_catalog");
      await c.query("begin");
      const out: boolean[] = [];
      for (const s of schedules) {
        await c.query("savepoint s");
        try {
          await c.query("select cron.schedule('syntax', $1, 'select 1')", [s]);
          out.push(true);
        } catch (err) {
          expect((err as Error).message).toBe(`invalid schedule: ${s}`);
          out.push(false);
        }
        await c.query("rollback to savepoint s");
      }
      await c.query("rollback");
      return out;
    });
  }

  // Accepted and refused by pg_cron 1.4 and later alike. The parser is
  // lenient past the first item of a field ('1-2-3' reads as 1-2, '5-1' sets
  // nothing); the emulation must accept what Supabase accepts.
  const SCHEDULES = [
    "* * * * *", "*/5 * * * *", "17 3 * * *", "0 0 1 1 *", "0-59/15 * * * *", "0 12 * jan,FEB mon-Fri",
    "5,10,15 */2 1-15 * 0", "0 0 * * 7", "@daily", "@hourly", "@weekly", "@monthly", "@yearly", "@reboot",
    "*-5 * * * *", "1-2-3 * * * *", "5-1 * * * *",
    "1x,2 * * * *", "every minute", "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *", "* * * 13 *", "* * * * 8",
    "5/10 * * * *", "*/0 * * * *", "5-x * * * *", "1,x * * * *", "* * * jan5 *", "@sometimes", "",
  ];

  it("accepts and refuses what the real pg_cron does", async () => {
    const mine = await accepted(emulated.superuserUrl, "syntax_emulated", SCHEDULES);
    // The expected verdicts, written down: they hold for the emulation everywhere.
    const valid = SCHEDULES.map((_, i) => i < 17);
    expect(Object.fromEntries(SCHEDULES.map((s, i) => [s, mine[i]]))).toEqual(Object.fromEntries(SCHEDULES.map((s, i) => [s, valid[i]])));
    if (!pg15) return;
    const theirs = await accepted(pg15.superuserUrl, "cron_syntax", SCHEDULES);
    expect(Object.fromEntries(SCHEDULES.map((s, i) => [s, theirs[i]]))).toEqual(Object.fromEntries(SCHEDULES.map((s, i) => [s, valid[i]])));
  });

  it("follows pg_cron 1.6 where it differs from 1.4: seconds, the last day, steps within bounds", async () => {
    const schedules = ["30 seconds", "1 second", "0 12 $ * *", "60 seconds", "0 seconds", "*/60 * * * *"];
    expect(await accepted(emulated.superuserUrl, "syntax_seconds", schedules)).toEqual([true, true, true, false, false, false]);
  });
});

describe("the server's private extension folder", () => {
  it("adds extensions and pgTAP to the server's own share folder, never to the installation", async () => {
    const installation = path.join(findBinaries(17).shareDir, "extension");
    const before = fs.readdirSync(installation).sort();
    const server = await startPostgres({ pgMajor: 17 });
    try {
      expect(server.shareDir).not.toBe(findBinaries(17).shareDir);
      expect(installPgtapFiles(server.shareDir).status).toBe("pass");
      const available = await withClient(server.superuserUrl, async (c) => {
        // The server reads extensions from the private folder.
        expect((await c.query("select setting from pg_config where name = 'SHAREDIR'")).rows[0].setting).toBe(server.shareDir);
        return (await c.query("select name from pg_available_extensions where name in ('pg_cron', 'pg_net', 'supabase_vault', 'pgtap', 'pgcrypto') order by 1")).rows.map((r) => r.name);
      });
      expect(available).toEqual(["pg_cron", "pg_net", "pgcrypto", "pgtap", "supabase_vault"]);
      expect(fs.readdirSync(installation).sort()).toEqual(before);
    } finally {
      await server.stop();
    }
  });

  it("offers none of them on a plain server", async () => {
    const server = await startPostgres({ pgMajor: 17, extensions: false });
    try {
      expect(server.pgCron).toBe("none");
      const names = await withClient(server.superuserUrl, async (c) =>
        (await c.query("select name from pg_available_extensions where name in ('pg_cron', 'pg_net', 'supabase_vault')")).rows,
      );
      expect(names).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
