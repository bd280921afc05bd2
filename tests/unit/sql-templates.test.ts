/**
 * Static checks of the database layers (1–2) over every combination of
 * stores and providers: they render, migrations sort in layer order, only
 * the chosen features appear, and every table and function carries its
 * RLS / grant boilerplate. (The behaviour is proven on a real PostgreSQL by
 * tests/ledger/; this catches template mistakes in combinations those runs
 * do not cover, in milliseconds.)
 */
import { describe, expect, it } from "vitest";
import type { Options } from "../../src/options.js";
import { FULL_OPTIONS, renderDatabase } from "../ledger/db.js";

const STORES = ["apple", "google", "revenuecat"];
const PROVIDERS = ["fal", "runway", "replicate"];
const MODEL_IDS: Record<string, string[]> = {
  fal: ["fal-ai/kling-video/v2.1/standard/image-to-video", "fal-ai/minimax/video-01", "fal-ai/veo3/fast"],
  runway: ["gen4_turbo", "veo3.1_fast"],
  replicate: ["minimax/video-01", "kwaivgi/kling-v2.1"],
};

function subsets<T>(xs: T[]): T[][] {
  return xs.reduce<T[][]>((acc, x) => acc.concat(acc.map((s) => [...s, x])), [[]]);
}

const combos: Options[] = [];
for (const iap of subsets(STORES)) {
  for (const providers of subsets(PROVIDERS).filter((p) => p.length > 0)) {
    combos.push({ ...FULL_OPTIONS, iap, providers, trialCredits: iap.length % 2 ? 0 : 25 });
  }
}

const BASE_SECONDS = Date.parse("2026-01-01T00:00:00Z") / 1000;
function ordinalOf(file: string): number {
  const ts = /^supabase\/migrations\/(\d{14})_/.exec(file)![1]!;
  const iso = `${ts.slice(0, 4)}-${ts.slice(4, 6)}-${ts.slice(6, 8)}T${ts.slice(8, 10)}:${ts.slice(10, 12)}:${ts.slice(12, 14)}Z`;
  return Date.parse(iso) / 1000 - BASE_SECONDS;
}

describe.each(combos.map((o) => [`iap=${o.iap.join("+") || "none"} providers=${o.providers.join("+")}`, o] as const))(
  "database layers, %s",
  (_name, options) => {
    const files = renderDatabase(options);
    const sqlFiles = files.filter((f) => f.path.endsWith(".sql"));
    const migrations = files.filter((f) => f.path.startsWith("supabase/migrations/"));
    const all = files.map((f) => f.content).join("\n");
    const migrationSql = migrations.map((f) => f.content).join("\n");

    it("renders completely, migrations in layer order", () => {
      expect(all).not.toMatch(/\{\{|\}\}/);
      for (const m of migrations) {
        const n = ordinalOf(m.path);
        expect(n, m.path).toBeGreaterThanOrEqual(100);
        expect(n, m.path).toBeLessThan(300);
        expect(m.layer === 1 ? n < 200 : n >= 200, m.path).toBe(true);
      }
      expect(files.some((f) => f.path === "supabase/seed.sql")).toBe(true);
      expect(files.some((f) => f.path === "supabase/functions/_shared/database.types.ts")).toBe(true);
    });

    it("contains only the chosen stores and providers", () => {
      for (const p of PROVIDERS) {
        for (const id of MODEL_IDS[p]!) {
          expect(migrationSql.includes(`'${id}'`), `${p} model ${id}`).toBe(options.providers.includes(p));
        }
      }
      const iap = options.iap.length > 0;
      // The pgTAP files may name them (to assert they are absent); the schema, types and seed may not.
      const generated = files.filter((f) => !f.path.startsWith("supabase/tests/")).map((f) => f.content).join("\n");
      for (const word of ["products", "iap_transactions", "credit_purchase", "revoke_purchase"]) {
        expect(generated.includes(word), word).toBe(iap);
      }
      for (const s of STORES) {
        expect(migrationSql.includes(`'${s}', 100)`), `credit packs of ${s}`).toBe(options.iap.includes(s));
      }
      expect(migrationSql).toContain(`('trial_credits', '${options.trialCredits}'::jsonb)`);
    });

    it("gives every table RLS and explicit grants, every function its privileges", () => {
      const tables = [...migrationSql.matchAll(/create table (public|private)\.(\w+)/g)].map((m) => `${m[1]}.${m[2]}`);
      expect(tables.length).toBeGreaterThanOrEqual(options.iap.length ? 8 : 6);
      for (const t of tables) {
        expect(migrationSql, t).toMatch(new RegExp(`alter table ${t.replace(".", "\\.")} enable row level security`));
        expect(migrationSql, t).toMatch(new RegExp(`revoke all on table [^;]*${t.replace(".", "\\.")}[^;]* from public, anon, authenticated, service_role`));
      }
      const fns = [...migrationSql.matchAll(/create or replace function (public|private)\.(\w+)\(([^)]*)\)\s*returns[^$]*?as \$\$/g)];
      expect(fns.length).toBeGreaterThan(8);
      for (const [header, schema, name] of fns) {
        expect(header, `${schema}.${name}`).toContain("set search_path = ''");
        expect(migrationSql, `${schema}.${name} revoked`).toMatch(
          new RegExp(`revoke all on function ${schema}\\.${name}\\([^)]*\\) from public, anon, authenticated`),
        );
        if (schema === "public") {
          expect(header, `${name} is security definer`).toContain("security definer");
          expect(migrationSql, `${name} granted to service_role`).toMatch(
            new RegExp(`grant execute on function public\\.${name}\\([^)]*\\) to service_role;`),
          );
        }
      }
    });

    it("writes pgTAP files in the supabase test db shape", () => {
      const tests = sqlFiles.filter((f) => f.path.startsWith("supabase/tests/"));
      expect(tests.length).toBeGreaterThanOrEqual(options.iap.length ? 10 : 8);
      for (const t of tests) {
        expect(t.path).toMatch(/^supabase\/tests\/[12]\d_[a-z0-9_]+\.test\.sql$/);
        expect(t.content, t.path).toMatch(/^(--[^\n]*\n)*begin;\nselect plan\(\d+\);/);
        expect(t.content.trimEnd(), t.path).toMatch(/select \* from finish\(\);\nrollback;$/);
      }
    });
  },
);
