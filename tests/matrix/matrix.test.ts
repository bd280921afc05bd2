/**
 * The generator's promise, tested: every combination in the matrix below is
 * generated into a temp dir and must pass `verify` (both privilege regimes,
 * advisors, pgTAP, Deno) on a real PostgreSQL.
 *
 * The matrix: each chosen value is a boolean factor (auth apple on/off, iap
 * google on/off, …, plus the PostgreSQL major). A small greedy generator picks
 * valid combinations until every pair of factor levels that can occur together
 * does (pairwise coverage across auth × iap × providers × monitoring), starting
 * from the all-on and the minimal combination. Every value of every choice is
 * therefore generated at least once.
 *
 * CVB_MATRIX_LIMIT=n runs only the first n combinations (all-on, minimal, …).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDefaults } from "../../src/options.js";
import { type Options } from "../../src/options.js";
import { buildContext } from "../../src/plan.js";
import { render } from "../../src/render.js";
import { runVerify } from "../../src/verify/index.js";
import { installPgtapFiles } from "../../src/verify/pgtap.js";
import { type PostgresServer, realPgCronAvailable, startPostgres } from "../../src/verify/postgres.js";

/** The generator's choices as boolean factors (name = `<choice>.<value>`). */
const FACTORS = [
  "auth.apple",
  "auth.anonymous",
  "auth.devicecheck",
  "iap.apple",
  "iap.google",
  "iap.revenuecat",
  "providers.fal",
  "providers.runway",
  "providers.replicate",
  "monitoring.sentry",
  "monitoring.telegram",
  "pg.15",
] as const;
type Combo = boolean[];

function valid(c: Combo): boolean {
  const on = (f: (typeof FACTORS)[number]) => c[FACTORS.indexOf(f)]!;
  const any = (prefix: string) => FACTORS.some((f, i) => f.startsWith(prefix) && c[i]);
  return any("auth.") && any("providers.") && (!on("auth.devicecheck") || on("auth.anonymous"));
}

function allCombos(): Combo[] {
  const out: Combo[] = [];
  for (let bits = 0; bits < 1 << FACTORS.length; bits++) {
    const c = FACTORS.map((_, i) => Boolean(bits & (1 << i)));
    if (valid(c)) out.push(c);
  }
  return out;
}

function pairsOf(c: Combo): string[] {
  const pairs: string[] = [];
  for (let i = 0; i < c.length; i++) {
    for (let j = i + 1; j < c.length; j++) pairs.push(`${i}=${+c[i]!},${j}=${+c[j]!}`);
  }
  return pairs;
}

/** Greedy pairwise cover over the valid combinations, seeded with the given ones. */
export function pairwise(seeds: Combo[]): Combo[] {
  const candidates = allCombos();
  const needed = new Set(candidates.flatMap(pairsOf));
  const chosen: Combo[] = [];
  const take = (c: Combo) => {
    chosen.push(c);
    for (const p of pairsOf(c)) needed.delete(p);
  };
  seeds.forEach(take);
  while (needed.size > 0) {
    let best = candidates[0]!;
    let bestGain = -1;
    for (const c of candidates) {
      const gain = pairsOf(c).filter((p) => needed.has(p)).length;
      if (gain > bestGain) [best, bestGain] = [c, gain];
    }
    take(best);
  }
  return chosen;
}

function toOptions(c: Combo): Options {
  const values = (choice: string) =>
    FACTORS.filter((f, i) => f.startsWith(`${choice}.`) && c[i]).map((f) => f.slice(choice.length + 1));
  return withDefaults(
    { auth: values("auth"), iap: values("iap"), providers: values("providers"), monitoring: values("monitoring") },
    { pgMajor: c[FACTORS.indexOf("pg.15")] ? 15 : 17 },
    "npm",
  );
}

function label(o: Options): string {
  const list = (v: string[]) => (v.length ? v.join(",") : "none");
  return `--auth ${list(o.auth)} --iap ${list(o.iap)} --providers ${list(o.providers)} --monitoring ${list(o.monitoring)} --pg-major ${o.pgMajor}`;
}

const ALL_ON = FACTORS.map((f) => f !== "pg.15");
const MINIMAL = FACTORS.map((f) => f === "auth.anonymous" || f === "providers.fal");
const limit = Number(process.env.CVB_MATRIX_LIMIT) || Infinity;
const MATRIX = pairwise([ALL_ON, MINIMAL]).slice(0, limit).map(toOptions);

describe("the combination matrix covers every value and every pair", () => {
  it("covers every pair of factor levels that can occur together", () => {
    const full = pairwise([ALL_ON, MINIMAL]);
    const covered = new Set(full.flatMap(pairsOf));
    for (const p of new Set(allCombos().flatMap(pairsOf))) expect(covered.has(p), p).toBe(true);
    for (const f of FACTORS.keys()) {
      expect(full.some((c) => c[f])).toBe(true);
      expect(full.some((c) => !c[f])).toBe(true);
    }
    expect(full.every(valid)).toBe(true);
  });
});

describe(`verify every combination (${MATRIX.length})`, () => {
  let server: PostgresServer;
  let tmp: string;
  const started = Date.now();
  const timings: string[] = [];

  beforeAll(async () => {
    console.log(`matrix: ${MATRIX.length} combinations\n${MATRIX.map((o, i) => `  ${i + 1}. ${label(o)}`).join("\n")}`);
    // One PostgreSQL 17 for the PG 17 combinations; PG 15 ones start their own.
    server = await startPostgres({ pgMajor: 17 });
    const pgtap = installPgtapFiles(server.shareDir);
    expect(pgtap.status, pgtap.detail).toBe("pass");
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-matrix-"));
  });

  afterAll(async () => {
    await server?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    console.log(`matrix: ${timings.length} of ${MATRIX.length} verified in ${((Date.now() - started) / 1000).toFixed(1)}s\n${timings.join("\n")}`);
  });

  MATRIX.forEach((options, index) => {
    it(`${index + 1}. ${label(options)}`, async () => {
      const t0 = Date.now();
      const dir = path.join(tmp, `combo-${index + 1}`);
      const now = new Date("2026-01-01T00:00:00Z");
      const ctx = buildContext(`combo-${index + 1}`, options, { name: "create-video-backend", version: "0.0.0-matrix" }, now);
      for (const file of render(ctx, now)) {
        const out = path.join(dir, file.path);
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.writeFileSync(out, file.content, file.mode ? { mode: file.mode } : {});
      }
      const lines: string[] = [];
      const result = await runVerify(dir, {
        ...(options.pgMajor === 17 ? { databaseUrl: server.superuserUrl } : {}),
        ci: true,
        log: (l) => lines.push(l),
      });
      timings.push(`  ${index + 1}. ${result.ok ? "ok    " : "FAILED"} ${((Date.now() - t0) / 1000).toFixed(1)}s  ${label(options)}`);
      // The verify report itself is the most readable failure message.
      if (!result.ok || result.checks.some((c) => c.status !== "pass")) {
        expect.fail(`verify failed for ${label(options)}\n${lines.join("\n")}`);
      }
      expect(result.checks.length).toBeGreaterThanOrEqual(15);
      // The cron jobs ran in both regimes (which jobs: supabase/tests/51_schedules.test.sql),
      // under the real pg_cron wherever the server has it.
      const cron = options.pgMajor === 15 && realPgCronAvailable(15) ? "real" : "emulated";
      for (const regime of ["legacy", "2026"]) {
        const schedules = result.checks.find((c) => c.name === `[${regime}] schedules`);
        expect(schedules?.detail).toMatch(new RegExp(`^\\d+ jobs run as pg_cron would \\(${cron} pg_cron\\)`));
      }
    });
  });
});
