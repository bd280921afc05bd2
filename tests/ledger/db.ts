/**
 * Shared set-up for the ledger tests: render the database layers of the
 * generator's templates in-process, apply them as role `postgres` to a fresh
 * database on a real PostgreSQL with the Supabase platform emulated, and run
 * pgTAP files. Only layers 1–2 are rendered, so these tests depend on nothing
 * but the database templates.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { Options } from "../../src/options.js";
import { buildContext } from "../../src/plan.js";
import { render, TEMPLATES_DIR, type RenderedFile } from "../../src/render.js";
import { type PostgresServer, preparePlatform, type Regime, withClient } from "../../src/verify/postgres.js";

export const FULL_OPTIONS: Options = {
  auth: ["apple", "anonymous", "devicecheck"],
  iap: ["apple", "google", "revenuecat"],
  providers: ["fal", "runway", "replicate"],
  monitoring: ["sentry", "telegram"],
  trialCredits: 10,
  bundleId: "com.example.videoapp",
  androidPackage: "com.example.videoapp",
  pgMajor: 17,
  pm: "npm",
};

export const MINIMAL_OPTIONS: Options = {
  ...FULL_OPTIONS,
  auth: ["apple"],
  iap: [],
  providers: ["runway"],
  monitoring: [],
  trialCredits: 0,
};

const DB_LAYERS = ["1-database", "2-credits"];
const BASE = new Date("2026-01-01T00:00:00Z");

/** A templates dir holding only the database layers (symlinks), so others' layers cannot break these tests. */
function databaseTemplatesDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-dbtpl-"));
  for (const name of [...DB_LAYERS, "_partials"]) {
    const src = path.join(TEMPLATES_DIR, name);
    if (fs.existsSync(src)) fs.symlinkSync(src, path.join(dir, name));
  }
  return dir;
}

/** Renders layers 1–2 for the options. */
export function renderDatabase(options: Options): RenderedFile[] {
  const ctx = buildContext("ledger-test", options, { name: "create-video-backend", version: "0.0.0-test" }, BASE);
  const dir = databaseTemplatesDir();
  try {
    return render(ctx, BASE, dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function migrationsOf(files: RenderedFile[]): RenderedFile[] {
  return files
    .filter((f) => f.path.startsWith("supabase/migrations/") && f.path.endsWith(".sql"))
    .sort((a, b) => a.path.localeCompare(b.path));
}

export function pgTapFilesOf(files: RenderedFile[]): RenderedFile[] {
  return files
    .filter((f) => f.path.startsWith("supabase/tests/") && f.path.endsWith(".sql"))
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** Makes `create extension pgtap` work on the server: pgTAP is plain SQL, copied from the system's package. */
export function installPgTapFiles(server: PostgresServer): void {
  const target = path.join(server.shareDir, "extension");
  if (fs.existsSync(path.join(target, "pgtap.control"))) return;
  const sources = ["/usr/share/postgresql/17/extension", "/usr/share/postgresql/16/extension", "/usr/share/postgresql/15/extension"];
  const source = sources.find((s) => fs.existsSync(path.join(s, "pgtap.control")));
  if (!source) throw new Error("pgTAP not found: apt-get install postgresql-15-pgtap");
  for (const file of fs.readdirSync(source)) {
    if (!file.startsWith("pgtap")) continue;
    const tmp = path.join(target, `.${file}.${process.pid}`);
    fs.copyFileSync(path.join(source, file), tmp);
    fs.renameSync(tmp, path.join(target, file));
  }
}

export interface LedgerDatabase {
  postgresUrl: string;
  superuserUrl: string;
  database: string;
  files: RenderedFile[];
}

/** A fresh database with the platform emulation and the rendered migrations applied as `postgres`. */
export async function migratedDatabase(
  server: PostgresServer,
  opts: { regime: Regime; options?: Options; pgtap?: boolean },
): Promise<LedgerDatabase> {
  const files = renderDatabase(opts.options ?? FULL_OPTIONS);
  const db = await preparePlatform(server.superuserUrl, { regime: opts.regime });
  if (opts.pgtap) {
    installPgTapFiles(server);
    await withClient(db.superuserUrl, (c) => c.query("create extension if not exists pgtap with schema extensions"));
  }
  await withClient(db.postgresUrl, async (c) => {
    for (const m of migrationsOf(files)) {
      try {
        await c.query(`begin;\n${m.content}\ncommit;`);
      } catch (err) {
        await c.query("rollback").catch(() => undefined);
        throw new Error(`${m.path}: ${(err as Error).message}`);
      }
    }
  });
  return { ...db, files };
}

export interface TapResult {
  file: string;
  planned: number;
  passed: number;
  failures: string[];
  output: string[];
}

/** Runs one pgTAP file (begin; plan; …; finish; rollback) and reads its TAP output. */
export async function runPgTap(url: string, file: RenderedFile): Promise<TapResult> {
  return withClient(url, async (c) => {
    const output: string[] = [];
    try {
      const results = await c.query(file.content);
      for (const r of Array.isArray(results) ? results : [results]) {
        for (const row of r.rows ?? []) {
          for (const v of Object.values(row)) if (typeof v === "string") output.push(...v.split("\n"));
        }
      }
    } catch (err) {
      await c.query("rollback").catch(() => undefined);
      return { file: file.path, planned: 0, passed: 0, failures: [`aborted: ${(err as Error).message}`], output };
    }
    const plan = output.map((l) => /^1\.\.(\d+)/.exec(l)).find(Boolean);
    const planned = plan ? Number(plan[1]) : 0;
    const oks = output.filter((l) => /^ok \d+/.test(l)).length;
    const failures = output.filter((l) => /^not ok \d+/.test(l));
    const diag = output.filter((l) => l.startsWith("#"));
    if (failures.length > 0 || oks !== planned) failures.push(...diag);
    return { file: file.path, planned, passed: oks, failures, output };
  });
}

export function pool(url: string, max: number): pg.Pool {
  const u = new URL(url);
  u.searchParams.delete("sslmode");
  return new pg.Pool({ connectionString: u.toString(), max });
}
