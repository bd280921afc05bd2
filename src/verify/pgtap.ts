/**
 * pgTAP without Docker: pgTAP is plain SQL, so its extension files are copied
 * into the server's extension folder, and each test file is sent as one query
 * (as role postgres, like `supabase test db`); its result rows are the TAP stream.
 */
import fs from "node:fs";
import path from "node:path";
import type pg from "pg";
import { withClient } from "./postgres.js";
import { fail, missing, type Outcome, pass } from "./report.js";

export const PGTAP_HINT =
  "install pgTAP: apt-get install postgresql-15-pgtap (Debian/Ubuntu; any postgresql-N-pgtap works) or brew install pgtap, or set CVB_PGTAP_DIR to a folder with pgtap.control";

/** A folder holding pgtap.control and pgtap--<version>.sql. */
export function findPgtapSource(): string | undefined {
  const candidates: string[] = [];
  if (process.env.CVB_PGTAP_DIR) candidates.push(process.env.CVB_PGTAP_DIR);
  // Debian/Ubuntu: /usr/share/postgresql/<major>/extension; Homebrew:
  // <prefix>/share/postgresql@<major>/extension or <prefix>/share/postgresql/extension.
  for (const share of ["/usr/share", "/usr/local/share", "/opt/homebrew/share"]) {
    if (!fs.existsSync(share)) continue;
    for (const name of fs.readdirSync(share).filter((d) => /^postgresql(@\d+)?$/.test(d)).sort().reverse()) {
      const root = path.join(share, name);
      candidates.push(path.join(root, "extension"));
      const versions = fs.readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
      for (const v of versions) candidates.push(path.join(root, v, "extension"));
    }
  }
  return candidates.find((d) => fs.existsSync(path.join(d, "pgtap.control")));
}

/** Makes `create extension pgtap` possible on a server whose share folder we own. */
export function installPgtapFiles(shareDir: string): Outcome {
  const target = path.join(shareDir, "extension");
  if (fs.existsSync(path.join(target, "pgtap.control"))) return pass(`pgTAP found in ${target}`);
  const source = findPgtapSource();
  if (!source) return missing(PGTAP_HINT);
  try {
    for (const file of fs.readdirSync(source)) {
      if (file === "pgtap.control" || /^pgtap--.*\.sql$/.test(file)) {
        fs.copyFileSync(path.join(source, file), path.join(target, file));
      }
    }
  } catch (err) {
    return fail(`could not copy pgTAP from ${source} into ${target}: ${(err as Error).message}`);
  }
  return pass(`pgTAP copied from ${source}`);
}

/** `create extension pgtap` in one database, as `supabase test db` does. */
export async function createPgtap(superuserUrl: string): Promise<Outcome> {
  try {
    await withClient(superuserUrl, (c) => c.query("create extension if not exists pgtap with schema extensions"));
    return pass();
  } catch (err) {
    const message = (err as Error).message;
    if (/could not open extension control file|is not available/.test(message)) return missing(PGTAP_HINT);
    return fail(`create extension pgtap: ${message}`);
  }
}

export interface TapResult {
  planned?: number;
  ran: number;
  failures: string[];
  diagnostics: string[];
}

/** Reads a TAP stream: plan, ok / not ok (TODO and SKIP count as passing), diagnostics. */
export function parseTap(lines: string[]): TapResult {
  const result: TapResult = { ran: 0, failures: [], diagnostics: [] };
  for (const line of lines.flatMap((l) => l.split("\n"))) {
    const plan = /^1\.\.(\d+)/.exec(line);
    if (plan) {
      result.planned = Number(plan[1]);
      continue;
    }
    const test = /^(not )?ok\b\s*(\d*)\s*(?:-\s*)?(.*)$/.exec(line);
    if (test) {
      result.ran++;
      const directive = /#\s*(TODO|SKIP)\b/i.test(test[3] ?? "");
      if (test[1] && !directive) result.failures.push(`not ok ${test[2]} - ${test[3]}`.replace(/ - $/, ""));
      continue;
    }
    if (line.startsWith("#")) result.diagnostics.push(line);
  }
  return result;
}

/** Every row of every result set of a multi-statement query, as text lines. */
function tapLines(results: pg.QueryResult | pg.QueryResult[]): string[] {
  const lines: string[] = [];
  for (const r of Array.isArray(results) ? results : [results]) {
    for (const row of r.rows ?? []) {
      for (const value of Object.values(row as Record<string, unknown>)) {
        if (typeof value === "string") lines.push(value);
      }
    }
  }
  return lines;
}

/** Line number of a character position reported by PostgreSQL (1-based). */
function lineOf(sql: string, position: string | undefined): number | undefined {
  const pos = Number(position);
  if (!pos) return undefined;
  return sql.slice(0, pos - 1).split("\n").length;
}

export async function runTestFiles(postgresUrl: string, testsDir: string, files: string[]): Promise<Outcome> {
  if (files.length === 0) return fail("no pgTAP tests in supabase/tests (*.sql): nothing proves the database layer");
  const problems: string[] = [];
  let total = 0;
  for (const file of files) {
    const sql = fs.readFileSync(path.join(testsDir, file), "utf8");
    const where = `supabase/tests/${file}`;
    let lines: string[];
    try {
      lines = await withClient(postgresUrl, async (c) => tapLines(await c.query(sql)));
    } catch (err) {
      const e = err as Error & { position?: string; where?: string; code?: string };
      const line = lineOf(sql, e.position);
      problems.push(`${where}${line ? `:${line}` : ""}: SQL error ${e.code ? `${e.code} ` : ""}${e.message}${e.where ? ` (${e.where.split("\n")[0]})` : ""}`);
      continue;
    }
    const tap = parseTap(lines);
    total += tap.ran;
    if (tap.planned === undefined) problems.push(`${where}: no plan (select plan(n) or no_plan())`);
    else if (tap.planned !== tap.ran) problems.push(`${where}: planned ${tap.planned} tests but ran ${tap.ran}`);
    for (const f of tap.failures) problems.push(`${where}: ${f}`);
    if (tap.failures.length > 0) {
      for (const d of tap.diagnostics.filter((d) => !/^# Looks like/.test(d)).slice(0, 12)) problems.push(`    ${d}`);
    }
  }
  if (problems.length) return fail(problems.join("\n"));
  return pass(`${total} assertions in ${files.length} file${files.length === 1 ? "" : "s"}`);
}
