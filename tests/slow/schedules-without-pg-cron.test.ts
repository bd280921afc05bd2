/**
 * The generated schedule migrations on a PostgreSQL without pg_cron, pg_net
 * and Vault (a plain CI service container, say): they still apply (they
 * schedule nothing and say so), and verify reports the schedules as not
 * proven (`missing`), never as passed.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { withDefaults } from "../../src/options.js";
import { buildContext } from "../../src/plan.js";
import { render } from "../../src/render.js";
import { runVerify } from "../../src/verify/index.js";
import { installPgtapFiles } from "../../src/verify/pgtap.js";
import { type PostgresServer, startPostgres } from "../../src/verify/postgres.js";

let server: PostgresServer;
let dir: string;

beforeAll(async () => {
  server = await startPostgres({ pgMajor: 17, extensions: false });
  expect(installPgtapFiles(server.shareDir).status).toBe("pass");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-no-cron-"));
  const options = withDefaults(
    { auth: ["apple", "anonymous"], iap: ["apple"], providers: ["fal", "runway"], monitoring: ["telegram"] },
    { pgMajor: 17 },
    "npm",
  );
  const now = new Date("2026-01-01T00:00:00Z");
  for (const file of render(buildContext("no-cron", options, { name: "create-video-backend", version: "0.0.0" }, now), now)) {
    const out = path.join(dir, file.path);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, file.content);
  }
});

afterAll(async () => {
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

it("applies every migration on a server without pg_cron, and calls the schedules unproven", async () => {
  const lines: string[] = [];
  const result = await runVerify(dir, {
    databaseUrl: server.superuserUrl,
    regimes: ["2026"],
    tools: { deno: false },
    log: (l) => lines.push(l),
  });
  const output = lines.join("\n");
  const byName = Object.fromEntries(result.checks.map((c) => [c.name, c]));
  expect(byName["[2026] db push"]?.status, output).toBe("pass");
  expect(byName["[2026] advisors"]?.status, output).toBe("pass");
  const schedules = byName["[2026] schedules"]!;
  expect(schedules.status, output).toBe("missing");
  expect(schedules.detail).toMatch(/^pg_cron is not available on this server; pg_net is not available on this server; supabase_vault is not available on this server: so the schedules of supabase\/migrations\/\d+_poll_jobs_schedule.sql, supabase\/migrations\/\d+_ops_schedules.sql were skipped and are not proven/);
  // The project's own schedule test cannot run either, and says why.
  const pgtap = byName["[2026] pgtap"]!;
  expect(pgtap.status).toBe("fail");
  expect(pgtap.detail).toMatch(/^supabase\/tests\/51_schedules.test.sql: SQL error 42P01 relation "cron.job" does not exist/);
  expect(pgtap.detail).not.toMatch(/supabase\/tests\/(?!51_)/);
});
