/**
 * Applies the database layers (1–2) to a real PostgreSQL under both Supabase
 * privilege regimes and for several option sets, then runs every generated
 * pgTAP file and reads its TAP output.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresServer, startPostgres } from "../../src/verify/postgres.js";
import type { Options } from "../../src/options.js";
import { FULL_OPTIONS, MINIMAL_OPTIONS, migratedDatabase, pgTapFilesOf, runPgTap } from "./db.js";

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
});
