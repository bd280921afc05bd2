/**
 * The verification engine must be able to fail: each broken fixture (an overlay
 * of tests/fixtures/verify/good) fails verify at the check that owns the cause,
 * with a message naming it; the good fixture passes every check.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installPgtapFiles } from "../../src/verify/pgtap.js";
import { preparePlatform, type PostgresServer, startPostgres } from "../../src/verify/postgres.js";
import { type Check, runVerify } from "../../src/verify/index.js";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/verify");
const TIMEOUT = 240_000;

let server: PostgresServer;
let tmp: string;

beforeAll(async () => {
  // One server for all fixtures: verify creates fresh databases on it.
  server = await startPostgres({ pgMajor: 17 });
  expect(installPgtapFiles(server.shareDir).status).toBe("pass");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-fixtures-"));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function verifyFixture(name: string, regimes?: ("legacy" | "2026")[]) {
  const dir = path.join(tmp, name);
  fs.cpSync(path.join(FIXTURES, "good"), dir, { recursive: true });
  if (name !== "good") fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  const lines: string[] = [];
  const result = await runVerify(dir, {
    databaseUrl: server.superuserUrl,
    ci: true,
    log: (l) => lines.push(l),
    ...(regimes ? { regimes } : {}),
  });
  const byName = (n: string): Check => {
    const c = result.checks.find((x) => x.name === n);
    if (!c) throw new Error(`no check ${n} in:\n${lines.join("\n")}`);
    return c;
  };
  return { result, byName, output: lines.join("\n") };
}

// Sequential: each run already uses the CPU well (regimes side by side, Deno beside SQL).
describe("verify on fixture projects", () => {
  it("passes the good fixture on every check, in both regimes", { timeout: TIMEOUT }, async () => {
    const { result, output } = await verifyFixture("good");
    expect(result.ok, output).toBe(true);
    expect(result.checks.map((c) => c.name)).toEqual([
      "postgres",
      ...["legacy", "2026"].flatMap((r) =>
        ["platform", "db push", "advisors", "exposure", "schedules", "pgtap"].map((c) => `[${r}] ${c}`),
      ),
      "deno check",
      "deno lint",
      "deno fmt",
      "openapi",
      "deno test",
      "contract",
    ]);
    expect(result.checks.every((c) => c.status === "pass"), output).toBe(true);
    expect(output).toMatch(/verify passed/);
    // The fixture's two jobs were run, not just found.
    const schedules = result.checks.find((c) => c.name === "[legacy] schedules")!;
    expect(schedules.detail).toMatch(/^2 jobs run as pg_cron would \(emulated pg_cron\); none sends without the Vault secrets; re-running 1 schedule migration adds no job/);
    expect(schedules.detail).toContain("call-hello (*/10 * * * *): POST <project_url>/functions/v1/hello (timeout 10 s)");
    expect(schedules.detail).toContain("forget-old-notes (0 4 * * *)");
  });

  it("refuses an existing server without superuser rights, saying why", { timeout: TIMEOUT }, async () => {
    const db = await preparePlatform(server.superuserUrl, { regime: "2026" });
    const dir = path.join(tmp, "not-superuser");
    fs.cpSync(path.join(FIXTURES, "good"), dir, { recursive: true });
    const result = await runVerify(dir, { databaseUrl: db.postgresUrl, log: () => undefined });
    expect(result.ok).toBe(false);
    const pg = result.checks.find((c) => c.name === "postgres");
    expect(pg?.status).toBe("fail");
    expect(pg?.detail).toMatch(/is not a superuser connection/);
    expect(pg?.detail).not.toContain(new URL(db.postgresUrl).password);
  });

  it("reports missing tools as missing with how to get them, and fails under CI", { timeout: TIMEOUT }, async () => {
    const dir = path.join(tmp, "no-tools");
    fs.cpSync(path.join(FIXTURES, "good"), dir, { recursive: true });
    const run = (ci: boolean) =>
      runVerify(dir, { databaseUrl: server.superuserUrl, ci, regimes: ["2026"], tools: { supabase: false, deno: false }, log: () => undefined });
    const result = await run(true);
    expect(result.ok).toBe(false);
    const byName = Object.fromEntries(result.checks.map((c) => [c.name, c]));
    expect(byName["[2026] db push"]).toMatchObject({ status: "missing", detail: expect.stringMatching(/npm install -D supabase/) });
    for (const name of ["deno check", "deno lint", "deno fmt", "openapi", "deno test", "contract"]) {
      expect(byName[name]).toMatchObject({ status: "missing", detail: expect.stringMatching(/npm install -D deno/) });
    }
    expect(result.checks.filter((c) => c.status === "pass").map((c) => c.name)).toEqual(["postgres", "[2026] platform"]);
    // Outside CI the run is not failed by what could not run, but nothing is claimed as passed either.
    expect((await run(false)).ok).toBe(true);
  });

  it("fails a table without RLS, naming the table and the lint", { timeout: TIMEOUT }, async () => {
    const { result, byName } = await verifyFixture("no-rls");
    expect(result.ok).toBe(false);
    for (const regime of ["legacy", "2026"]) {
      const advisors = byName(`[${regime}] advisors`);
      expect(advisors.status).toBe("fail");
      expect(advisors.detail).toMatch(/rls_disabled_in_public \(ERROR\): Table `public.open_notes`/);
      expect(byName(`[${regime}] exposure`).detail).toMatch(/table public.open_notes has row level security disabled/);
    }
  });

  it("fails a SECURITY DEFINER function executable by anon", { timeout: TIMEOUT }, async () => {
    const { result, byName } = await verifyFixture("anon-function");
    expect(result.ok).toBe(false);
    for (const regime of ["legacy", "2026"]) {
      const exposure = byName(`[${regime}] exposure`);
      expect(exposure.status).toBe("fail");
      expect(exposure.detail).toMatch(/public.grant_free_credits\(p_user_id uuid\) is executable by anon and authenticated/);
    }
  });

  it("fails a migration with a syntax error, naming the file and the SQL error", { timeout: TIMEOUT }, async () => {
    const { result, byName } = await verifyFixture("syntax-error");
    expect(result.ok).toBe(false);
    const push = byName("[legacy] db push");
    expect(push.status).toBe("fail");
    expect(push.detail).toContain("supabase/migrations/20260101000100_typo.sql");
    expect(push.detail).toMatch(/syntax error at or near "tabel"/);
    // Nothing runs on a half-migrated database, and Deno tests say why they did not run.
    expect(result.checks.some((c) => c.name === "[legacy] pgtap")).toBe(false);
    expect(byName("deno test").detail).toMatch(/no database was migrated/);
  });

  it("fails a false pgTAP assertion, a SQL error and a plan mismatch, naming file and test", { timeout: TIMEOUT }, async () => {
    const { result, byName } = await verifyFixture("failing-pgtap");
    expect(result.ok).toBe(false);
    const pgtap = byName("[2026] pgtap");
    expect(pgtap.status).toBe("fail");
    expect(pgtap.detail).toMatch(/supabase\/tests\/02_wrong.test.sql: not ok 2 - notes has an insert policy too/);
    expect(pgtap.detail).toMatch(/have: 1\s+#\s+want: 2/);
    expect(pgtap.detail).not.toContain("01_notes");
    // A SQL error names the file, the line and the error; a short run names the plan.
    expect(pgtap.detail).toMatch(/supabase\/tests\/03_sql_error.test.sql:5: SQL error 42P01 relation "public.no_such_table" does not exist/);
    expect(pgtap.detail).toMatch(/supabase\/tests\/04_plan.test.sql: planned 3 tests but ran 2/);
  });

  it("fails a typo in a cron job's body, naming the job, the migration and the SQL error", { timeout: TIMEOUT }, async () => {
    const { result, byName } = await verifyFixture("cron-typo");
    expect(result.ok).toBe(false);
    for (const regime of ["legacy", "2026"]) {
      // pg_cron stores the command as text: the migration applies, the job would fail every run.
      expect(byName(`[${regime}] db push`).status).toBe("pass");
      const schedules = byName(`[${regime}] schedules`);
      expect(schedules.status).toBe("fail");
      expect(schedules.detail).toMatch(
        /job call-hello \(\*\/10 \* \* \* \*\) \(scheduled in supabase\/migrations\/20260101000050_schedules.sql\): its command fails: 42703 column "decrypted_secrte" does not exist \(line \d+ of the command\)/,
      );
      // The other job is fine and not blamed.
      expect(schedules.detail).not.toContain("forget-old-notes");
    }
  });

  it("fails a type error in a function, naming the file", { timeout: TIMEOUT }, async () => {
    const { result, byName } = await verifyFixture("type-error", ["2026"]);
    expect(result.ok).toBe(false);
    const check = byName("deno check");
    expect(check.status).toBe("fail");
    expect(check.detail).toMatch(/TS2322/);
    expect(check.detail).toContain("supabase/functions/hello/handler.ts");
    expect(byName("[2026] db push").status).toBe("pass");
  });

  it("fails an unformatted file, naming it", { timeout: TIMEOUT }, async () => {
    const { result, byName } = await verifyFixture("unformatted", ["2026"]);
    expect(result.ok).toBe(false);
    const fmt = byName("deno fmt");
    expect(fmt.status).toBe("fail");
    expect(fmt.detail).toMatch(/not formatted[^\n]*\n\s+supabase\/functions\/hello\/handler.ts/);
    expect(byName("deno check").status).toBe("pass");
  });

  it("fails a handler that answers a field its contract does not declare, naming endpoint, field and test", { timeout: TIMEOUT }, async () => {
    const { result, byName } = await verifyFixture("undeclared-field", ["2026"]);
    expect(result.ok).toBe(false);
    const contract = byName("contract");
    expect(contract.status).toBe("fail");
    expect(contract.detail).toMatch(/hello GET answered 200: the body does not match openapi.json: \(body\) has the undeclared field "debug"/);
    expect(contract.detail).toContain("at tests/hello-test.ts");
    // The tests themselves pass: only the contract catches it.
    expect(byName("deno test").status).toBe("pass");
    expect(byName("openapi").status).toBe("pass");
  });

  it("fails a handler that answers a status its contract does not declare, naming endpoint and status", { timeout: TIMEOUT }, async () => {
    const { result, byName } = await verifyFixture("undeclared-status", ["2026"]);
    expect(result.ok).toBe(false);
    const contract = byName("contract");
    expect(contract.status).toBe("fail");
    expect(contract.detail).toMatch(/hello GET answered 201: status 201 is not declared for GET \/hello \(declared: 200\)/);
    expect(byName("deno test").status).toBe("pass");
  });

  it("fails a stale openapi.json, naming the command that refreshes it", { timeout: TIMEOUT }, async () => {
    const { result, byName } = await verifyFixture("stale-openapi", ["2026"]);
    expect(result.ok).toBe(false);
    const openapi = byName("openapi");
    expect(openapi.status).toBe("fail");
    expect(openapi.detail).toMatch(/supabase\/functions\/openapi.json is stale/);
    expect(openapi.detail).toContain("Run `npm run openapi`");
    expect(openapi.detail).toMatch(/- "description": "A greeting, as it was documented before."/);
    expect(byName("contract").status).toBe("pass");
  });
});
