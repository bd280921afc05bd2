/**
 * The database layers through the real Supabase CLI: `supabase db push`
 * applies the rendered migrations and seed as it would to a project, then
 * Supabase's own database advisors (`supabase db advisors`) report nothing at
 * level WARN or ERROR (CONTRACT §3 invariant 8), under both privilege regimes.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresServer, startPostgres } from "../../src/verify/postgres.js";
import { withClient } from "../../src/verify/postgres.js";
import { FULL_OPTIONS, MINIMAL_OPTIONS, migratedDatabase, migrationsOf } from "./db.js";

const run = promisify(execFile);
const SUPABASE = path.resolve("node_modules/.bin/supabase");

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres({ pgMajor: 17 });
});
afterAll(async () => {
  await server?.stop();
});

describe.each([
  ["legacy", FULL_OPTIONS],
  ["2026", FULL_OPTIONS],
  ["legacy", MINIMAL_OPTIONS],
] as const)("supabase db push + db advisors (%s grants)", (regime, options) => {
  it(`applies migrations and seed; advisors report nothing at WARN or ERROR (${options.iap.length ? "with" : "without"} IAP)`, async () => {
    const db = await migratedDatabase(server, { regime, options, apply: false });
    // A scratch project holding only the database layers.
    const workdir = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-advisors-"));
    try {
      fs.mkdirSync(path.join(workdir, "supabase", "migrations"), { recursive: true });
      fs.writeFileSync(path.join(workdir, "supabase", "config.toml"), 'project_id = "ledger-test"\n');
      for (const f of db.files) {
        if (f.path.startsWith("supabase/migrations/") || f.path === "supabase/seed.sql") {
          fs.writeFileSync(path.join(workdir, f.path), f.content);
        }
      }
      const push = await run(SUPABASE, ["db", "push", "--db-url", db.postgresUrl, "--include-seed", "--yes", "--workdir", workdir], {
        env: { ...process.env, DO_NOT_TRACK: "1", SUPABASE_TELEMETRY_DISABLED: "1" },
      });
      const applied = migrationsOf(db.files).length;
      const history = await withClient(db.postgresUrl, (c) =>
        c.query<{ n: number }>("select count(*)::int as n from supabase_migrations.schema_migrations"),
      );
      expect(history.rows[0]!.n, push.stdout + push.stderr).toBe(applied);
      const users = await withClient(db.postgresUrl, (c) => c.query<{ n: number }>("select count(*)::int as n from public.users"));
      expect(users.rows[0]!.n, "the seed ran").toBe(3);

      const { stdout } = await run(
        SUPABASE,
        ["db", "advisors", "--db-url", db.postgresUrl, "--type", "all", "--level", "info", "--output-format", "json", "--workdir", workdir],
        { env: { ...process.env, DO_NOT_TRACK: "1", SUPABASE_TELEMETRY_DISABLED: "1" }, maxBuffer: 16 * 1024 * 1024 },
      );
      const text = stdout.trim();
      const issues: Array<{ name: string; level: string; detail?: string }> =
        (JSON.parse(text.slice(text.indexOf("{"))) as { results?: [] }).results ?? [];
      expect(text, "the advisors answered").toContain('"results"');
      const counts = new Map<string, number>();
      for (const i of issues) counts.set(`${i.level} ${i.name}`, (counts.get(`${i.level} ${i.name}`) ?? 0) + 1);
      console.log(`advisors (${regime}): ${[...counts].map(([k, n]) => `${k} x${n}`).join(", ") || "no findings"}`);
      const serious = issues.filter((i) => /^(WARN|ERROR)$/i.test(i.level));
      expect(serious).toEqual([]);
    } finally {
      fs.rmSync(workdir, { recursive: true, force: true });
    }
  });
});
