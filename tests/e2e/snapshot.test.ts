/**
 * Same options + SOURCE_DATE_EPOCH → byte-identical trees, and a reviewed
 * snapshot of the whole generated tree for a few combinations
 * (update with `npx vitest run tests/e2e/snapshot.test.ts -u` and review the diff).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FAST, runCli, tempCwd, treeHash } from "./helpers.js";

const EPOCH = "1767225600"; // 2026-01-01T00:00:00Z

const COMBINATIONS: Record<string, string[]> = {
  defaults: ["--yes"],
  minimal: ["--auth", "anonymous", "--iap", "none", "--providers", "runway", "--monitoring", "none"],
  "all-on": ["--auth", "apple,anonymous,devicecheck", "--iap", "apple,google,revenuecat", "--providers", "fal,runway,replicate", "--monitoring", "sentry,telegram", "--pg-major", "15"],
};

async function generate(flags: string[]): Promise<string> {
  const cwd = tempCwd();
  const r = await runCli(["video-app", "--yes", ...FAST, ...flags], { cwd, env: { SOURCE_DATE_EPOCH: EPOCH } });
  expect(r.exitCode, r.stderr).toBe(0);
  return path.join(cwd, "video-app");
}

function dump(dir: string): string {
  return Object.keys(treeHash(dir))
    .sort()
    .map((f) => `==> ${f} <==\n${fs.readFileSync(path.join(dir, f), "utf8")}`)
    .join("\n");
}

describe("reproducible output", () => {
  for (const [name, flags] of Object.entries(COMBINATIONS)) {
    it(`${name}: two runs are byte-identical and match the snapshot`, async () => {
      const first = await generate(flags);
      const second = await generate(flags);
      expect(treeHash(second)).toEqual(treeHash(first));
      const migrations = fs.readdirSync(path.join(first, "supabase/migrations"));
      expect(migrations.length).toBeGreaterThan(0);
      for (const m of migrations) expect(m).toMatch(/^20260101\d{6}_[a-z0-9_]+\.sql$/);
      expect(JSON.parse(fs.readFileSync(path.join(first, "video-backend.json"), "utf8")).createdAt).toBe(
        "2026-01-01T00:00:00Z",
      );
      await expect(dump(first)).toMatchFileSnapshot(`snapshots/${name}.txt`);
    });
  }
});
