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
  pm: "npm", agents: "claude",
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
function databaseTemplatesDir(templatesRoot: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-dbtpl-"));
  for (const name of [...DB_LAYERS, "_partials"]) {
    const src = path.join(templatesRoot, name);
    if (fs.existsSync(src)) fs.symlinkSync(src, path.join(dir, name));
  }
  return dir;
}

/** Renders layers 1–2 for the options. */
export function renderDatabase(options: Options, templatesRoot = TEMPLATES_DIR): RenderedFile[] {
  const ctx = buildContext("ledger-test", options, { name: "create-video-backend", version: "0.0.0-test" }, BASE);
  const dir = databaseTemplatesDir(templatesRoot);
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
  opts: { regime: Regime; options?: Options; pgtap?: boolean; templatesRoot?: string; apply?: boolean },
): Promise<LedgerDatabase> {
  const files = renderDatabase(opts.options ?? FULL_OPTIONS, opts.templatesRoot);
  const db = await preparePlatform(server.superuserUrl, { regime: opts.regime });
  if (opts.pgtap) {
    installPgTapFiles(server);
    await withClient(db.superuserUrl, (c) => c.query("create extension if not exists pgtap with schema extensions"));
  }
  if (opts.apply === false) return { ...db, files };
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

export function pool(url: string, max: number, role?: string): pg.Pool {
  const u = new URL(url);
  u.searchParams.delete("sslmode");
  // `-c role=…` in the startup packet: every connection acts as that role from its first query.
  const p = new pg.Pool({ connectionString: u.toString(), max, ...(role ? { options: `-c role=${role}` } : {}) });
  // The server may go away first at teardown; an idle client's error is not a test failure.
  p.on("error", () => undefined);
  return p;
}

/** A pool whose connections act as service_role, as the Edge Functions do. */
export function servicePool(url: string, max: number): pg.Pool {
  return pool(url, max, "service_role");
}

/** Fixtures written as the owner (postgres); balances always through the ledger. */
export class Fixtures {
  constructor(readonly admin: pg.Pool) {}

  async user(credits = 0, opts: { anonymous?: boolean } = {}): Promise<string> {
    const { rows } = await this.admin.query<{ id: string }>(
      "insert into auth.users (id, is_anonymous) values (gen_random_uuid(), $1) returning id",
      [opts.anonymous ?? false],
    );
    const id = rows[0]!.id;
    if (credits > 0) await this.adjust(id, credits);
    return id;
  }

  /** An 'adjustment' ledger row plus the matching balance change. */
  async adjust(userId: string, delta: number): Promise<void> {
    await this.admin.query(
      `with u as (update public.users set credits = credits + $2 where id = $1 returning credits)
       insert into public.quota_log (user_id, delta, balance_after, reason) select $1, $2, credits, 'adjustment' from u`,
      [userId, delta],
    );
  }

  async model(id: string, cost: number): Promise<string> {
    await this.admin.query(
      `insert into public.models (id, provider, name, credit_cost)
       select $1, provider, $1, $2 from public.models limit 1
       on conflict (id) do update set credit_cost = excluded.credit_cost, is_active = true`,
      [id, cost],
    );
    return id;
  }

  async product(id: string, store: string, credits: number): Promise<string> {
    await this.admin.query(
      `insert into public.products (id, store, credits) values ($1, $2, $3)
       on conflict (id) do update set credits = excluded.credits, store = excluded.store`,
      [id, store, credits],
    );
    return id;
  }

  async setting(key: string, value: unknown): Promise<void> {
    await this.admin.query("update private.settings set value = $2::jsonb where key = $1", [key, JSON.stringify(value)]);
  }

  async balance(userId: string): Promise<number> {
    const { rows } = await this.admin.query<{ credits: number }>("select credits from public.users where id = $1", [userId]);
    return rows[0]!.credits;
  }
}

/** The contract code at the start of a SQL error message, e.g. `insufficient_credits`. */
export function errorCode(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return /^([a-z_]+):/.exec(message)?.[1] ?? message;
}
