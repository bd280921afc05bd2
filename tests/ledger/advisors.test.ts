/**
 * CONTRACT §3 invariant 8 for the database layers: Supabase's own database
 * advisors (`supabase db advisors`, the real CLI) report nothing at level
 * WARN or ERROR on the migrated schema, under both privilege regimes.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresServer, startPostgres } from "../../src/verify/postgres.js";
import { FULL_OPTIONS, MINIMAL_OPTIONS, migratedDatabase } from "./db.js";

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
] as const)("supabase db advisors (%s grants)", (regime, options) => {
  it(`reports nothing at WARN or ERROR (${options.iap.length ? "with" : "without"} IAP)`, async () => {
    const db = await migratedDatabase(server, { regime, options });
    // A scratch workdir: the CLI must not pick up a project config from ours.
    const workdir = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-advisors-"));
    try {
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
