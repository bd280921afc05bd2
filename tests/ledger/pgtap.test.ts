/**
 * Applies the database layers (1–2) to a real PostgreSQL under both Supabase
 * privilege regimes and for several option sets, then runs every generated
 * pgTAP file and reads its TAP output.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresServer, startPostgres } from "../../src/verify/postgres.js";
import type { Options } from "../../src/options.js";
import { withClient } from "../../src/verify/postgres.js";
import { FULL_OPTIONS, MINIMAL_OPTIONS, migratedDatabase, pgTapFilesOf, runPgTap } from "./db.js";
import { brokenInvariants } from "./invariants.js";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres({ pgMajor: 17 });
});
afterAll(async () => {
  await server?.stop();
});

const cases: Array<{ name: string; options: Options; regime: "legacy" | "2026" }> = [
  { name: "all features, legacy grants", options: FULL_OPTIONS, regime: "legacy" },
  { name: "all features, 2026 grants", options: FULL_OPTIONS, regime: "2026" },
  { name: "no IAP, one provider, no trial, legacy grants", options: MINIMAL_OPTIONS, regime: "legacy" },
  {
    name: "apple IAP + fal, 2026 grants",
    options: { ...FULL_OPTIONS, iap: ["apple"], providers: ["fal"], bundleId: "com.acme.clips" },
    regime: "2026",
  },
  {
    name: "Google Play + RevenueCat, Replicate only, legacy grants",
    options: { ...FULL_OPTIONS, iap: ["google", "revenuecat"], providers: ["replicate"], androidPackage: "com.acme.clips.android" },
    regime: "legacy",
  },
  {
    name: "RevenueCat, fal + Runway, 2026 grants",
    options: { ...FULL_OPTIONS, iap: ["revenuecat"], providers: ["fal", "runway"], trialCredits: 0 },
    regime: "2026",
  },
];

describe.each(cases)("pgTAP: $name", ({ options, regime }) => {
  it("migrates and passes every pgTAP file", async () => {
    const db = await migratedDatabase(server, { regime, options, pgtap: true });
    const files = pgTapFilesOf(db.files);
    expect(files.length).toBeGreaterThan(0);
    const results = [];
    for (const f of files) results.push(await runPgTap(db.postgresUrl, f));
    const report = results.map((r) => `${r.file}: ${r.passed}/${r.planned}${r.failures.length ? `\n  ${r.failures.join("\n  ")}` : ""}`);
    console.log(report.join("\n"));
    for (const r of results) {
      expect(r.failures, r.file).toEqual([]);
      expect(r.planned, r.file).toBeGreaterThan(0);
      expect(r.passed, r.file).toBe(r.planned);
    }
  });

  it("seed.sql applies twice as postgres and leaves a consistent ledger", async () => {
    const db = await migratedDatabase(server, { regime, options });
    const seed = db.files.find((f) => f.path === "supabase/seed.sql");
    expect(seed).toBeDefined();
    await withClient(db.postgresUrl, async (c) => {
      await c.query(seed!.content);
      await c.query(seed!.content);
      const { rows } = await c.query(
        "select (select count(*)::int from public.users) as users, (select count(*)::int from public.video_jobs) as jobs, (select credits from public.users where id = '5eed0000-0000-4000-8000-0000000a11ce') as alice",
      );
      expect(rows[0].users).toBe(3);
      expect(rows[0].jobs).toBe(2);
      expect(rows[0].alice).toBeLessThan(100); // one video was paid for
      expect(await brokenInvariants(c, options.iap.length > 0)).toEqual([]);
      if (options.iap.length > 0) {
        const bob = await c.query("select credits from public.users where id = '5eed0000-0000-4000-8000-000000000b0b'");
        expect(bob.rows[0].credits).toBeGreaterThan(20);
      }
    });
  });
});

describe("pgTAP negative control", () => {
  it("the privilege and RLS tests fail when a grant or policy leaks", async () => {
    const db = await migratedDatabase(server, { regime: "2026", options: FULL_OPTIONS, pgtap: true });
    await withClient(db.postgresUrl, (c) =>
      c.query(`
        grant update (credits) on public.users to authenticated;
        grant execute on function public.create_video_job(uuid, text, text, jsonb) to anon;
        create policy "leak" on public.video_jobs for select to authenticated using (true);`),
    );
    const files = pgTapFilesOf(db.files).filter((f) => /\/(11|12|20)_/.test(f.path));
    const results = await Promise.all(files.map((f) => runPgTap(db.postgresUrl, f)));
    for (const r of results) {
      console.log(`${r.file} with leaks: ${r.failures.filter((l) => l.startsWith("not ok")).join("; ")}`);
      expect(r.failures.length, r.file).toBeGreaterThan(0);
    }
  });
});
