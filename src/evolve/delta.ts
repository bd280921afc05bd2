/**
 * The schema delta: what one new migration must do to take a database built
 * from the project's existing migrations to the database a fresh project with
 * the new options (and this generator version) would have, proven by building
 * both on a real PostgreSQL.
 *
 * Two fresh databases on one embedded server (verify's `startPostgres` +
 * `preparePlatform`, which emulate the Supabase platform, pg_cron, pg_net and
 * Vault): "from" gets the project's migrations as they are on disk, "to" the
 * freshly rendered migrations plus the user's own migrations (files the
 * manifest does not list), in file-name order. Then:
 * - schema, grants and policies: `migra run from to --with-privileges --unsafe`
 *   (npm @pgkit/migra), every schema except the platform's own, with `storage`
 *   kept for the bucket policies on storage.objects;
 * - extensions: created when "to" has one "from" lacks;
 * - rows that migrations insert (catalog models/products, private.settings,
 *   storage buckets — any table in those schemas with rows after migrating):
 *   a row "to" has and "from" lacks is inserted `on conflict do nothing`; a
 *   row both have whose generated values changed is updated only where the
 *   live row still holds the old generated values in the changed columns — a
 *   value that differs is "changed by the user" and is never overwritten;
 *   rows "to" no longer has are left alone (listed in a comment);
 * - cron jobs: scheduled by name when new, re-scheduled when the generated
 *   schedule or command changed and the live job still has the old one,
 *   guarded by pg_cron being installed (as the generated migrations are).
 * The proof: the delta is applied to "from", and the whole diff is computed
 * again; it must be empty.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { aclDelta } from "./acl.js";
import { isMigration, MIGRATIONS_DIR } from "./manifest.js";
import type pg from "pg";
import { dropDatabase, type PlatformDatabase, preparePlatform, type Regime, startPostgres, withClient } from "../verify/postgres.js";

export interface MigrationFile {
  name: string;
  content: string;
}

/**
 * The two sides of a delta, each file read once: `from` = the project's
 * migrations on disk; `to` = the freshly rendered ones (`fresh`) plus the
 * user's own (`mine`: files `owned` does not list). Each in name order.
 */
export function deltaSides(
  projectDir: string,
  rendered: ReadonlyArray<{ path: string; content: string }>,
  owned: readonly string[],
): { from: MigrationFile[]; fresh: MigrationFile[]; mine: MigrationFile[]; to: MigrationFile[] } {
  const dir = path.join(projectDir, ...MIGRATIONS_DIR.split("/").filter(Boolean));
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".sql")).sort() : [];
  const from = names.map((name) => ({ name, content: fs.readFileSync(path.join(dir, name), "utf8") }));
  const mine = from.filter((f) => !owned.includes(f.name));
  const fresh = rendered.filter((f) => isMigration(f.path)).map((f) => ({ name: f.path.slice(MIGRATIONS_DIR.length), content: f.content }));
  const to = [...fresh, ...mine].sort((a, b) => (a.name < b.name ? -1 : 1));
  return { from, fresh, mine, to };
}

export interface DeltaInput {
  pgMajor: 15 | 17;
  projectDir: string;
  /** Migrations on disk, in name order. */
  from: MigrationFile[];
  /** Fresh migrations for the new options plus the user's own, in name order. */
  to: MigrationFile[];
  migraBin: string;
  log?: (line: string) => void;
}

export interface DeltaResult {
  /** The delta's statements (empty when nothing changes). */
  statements: string[];
  /** Leftovers the delta does not remove (rows and jobs no longer generated). */
  notes: string[];
  /** The proof: the diff after applying the delta (must be empty). */
  residue: string[];
  ms: number;
}

/**
 * The privilege regimes the delta is computed and proven in. Default
 * privileges differ (legacy grants new tables to anon/authenticated, 2026
 * does not), so a migration's explicit REVOKE matters in one and its GRANT in
 * the other: the delta carries both (mergePrivileges) and is proven in each.
 * verify's fresh check compares in 2026, the strictest.
 */
const REGIMES: Regime[] = ["2026", "legacy"];

/** Schemas present in a fresh platform database that belong to the platform, except storage (bucket policies live there). */
const KEEP_PLATFORM = new Set(["public", "storage"]);

export async function computeDelta(input: DeltaInput): Promise<DeltaResult> {
  const server = await startPostgres({ pgMajor: input.pgMajor, from: input.projectDir });
  try {
    return await deltaOnServer(server.superuserUrl, input.from, input.to, input.migraBin, { prove: true });
  } finally {
    await server.stop().catch(() => undefined);
  }
}

/**
 * On a running server: two fresh platform databases, `from` and `to` applied,
 * the delta between them; with `prove`, the delta applied to "from" and the
 * diff taken again (`residue`, empty when the delta is right). Verify's
 * "fresh" check uses it without `prove`: statements must be empty.
 */
export async function deltaOnServer(
  superuserUrl: string,
  fromFiles: MigrationFile[],
  toFiles: MigrationFile[],
  migraBin: string,
  opts: { prove: boolean },
): Promise<DeltaResult> {
  const started = performance.now();
  const dbs: PlatformDatabase[] = [];
  const fresh = async (regime: Regime) => {
    const db = await preparePlatform(superuserUrl, { regime });
    dbs.push(db);
    return db;
  };
  const apply = async (db: PlatformDatabase, statements: string[], name: string) => {
    if (statements.length === 0) return;
    try {
      await applyMigrations(db, [{ name, content: deltaSql(statements) }]);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nThe delta was:\n${deltaSql(statements)}`);
    }
  };
  try {
    const regimes = opts.prove ? REGIMES : REGIMES.slice(0, 1);
    const pairs = await Promise.all(regimes.map(async (regime) => {
      const [from, to] = await Promise.all([fresh(regime), fresh(regime)]);
      return { regime, from, to };
    }));
    const platformSchemas = await schemasOf(pairs[0]!.from.superuserUrl);
    await Promise.all(pairs.flatMap((p) => [applyMigrations(p.from, fromFiles), applyMigrations(p.to, toFiles)]));
    const { from, to } = pairs[0]!;
    const extensionSchemas = [...new Set([...(await extensionSchemasOf(from.superuserUrl)), ...(await extensionSchemasOf(to.superuserUrl))])];
    const exclude = [...new Set([...platformSchemas, ...extensionSchemas])].filter((s) => !KEEP_PLATFORM.has(s));
    const diff = await diffDatabases(from, to, exclude, migraBin);
    if (!opts.prove) return { statements: diff.statements, notes: diff.notes, residue: diff.statements, ms: performance.now() - started };
    // Structure and rows first (the same in every regime); privileges are
    // compared once the objects exist on both sides, in each regime.
    const structure = diff.structure;
    const privileges = await Promise.all(pairs.map(async (p) => {
      await apply(p.from, structure, "delta");
      return aclDelta(p.from.superuserUrl, p.to.superuserUrl, exclude);
    }));
    const statements = [...structure, ...mergePrivileges(privileges)];
    // The proof, in each regime: the project's migrations + the whole delta as one file, on a database of its own.
    const residue = await Promise.all(pairs.map(async (p) => {
      const check = await fresh(p.regime);
      await applyMigrations(check, fromFiles);
      await apply(check, statements, "delta");
      const again = await diffDatabases(check, p.to, exclude, migraBin);
      return again.statements.map((st) => `-- [${p.regime}]\n${st}`);
    }));
    return { statements, notes: diff.notes, residue: residue.flat(), ms: performance.now() - started };
  } finally {
    await Promise.all(dbs.map((db) => dropDatabase(superuserUrl, db.database).catch(() => undefined)));
  }
}

/**
 * The privilege statements of both regimes as one list, revokes first: a
 * revoke one regime needs (a default grant the other never makes) and a grant
 * the other needs (one the first got by default) are both no-ops where they
 * are not needed, so the one delta is right under either.
 */
export function mergePrivileges(lists: string[][]): string[] {
  const all = [...new Set(lists.flat())];
  const revokes = all.filter((s) => s.startsWith("revoke") || /^alter default privileges .* revoke /.test(s));
  return [...revokes, ...all.filter((s) => !revokes.includes(s))];
}

/** Compares two databases; used by verify too. */
export async function diffDatabases(
  from: PlatformDatabase,
  to: PlatformDatabase,
  excludeSchemas: string[],
  migraBin: string,
): Promise<{ statements: string[]; structure: string[]; notes: string[] }> {
  const [extensions, migraSql, rows, cron, acl] = await Promise.all([
    extensionDelta(from.superuserUrl, to.superuserUrl),
    migra(migraBin, from.superuserUrl, to.superuserUrl, excludeSchemas),
    rowDelta(from.superuserUrl, to.superuserUrl, excludeSchemas),
    cronDelta(from.superuserUrl, to.superuserUrl),
    aclDelta(from.superuserUrl, to.superuserUrl, excludeSchemas),
  ]);
  const migraText = await withoutIdenticalViews(migraSql.join("\n"), from.superuserUrl, to.superuserUrl, excludeSchemas);
  const schema = migraText ? [migraText, ...(await viewRestore(to.superuserUrl, migraText, excludeSchemas))] : [];
  const structure = [...extensions, ...schema, ...rows.statements, ...cron.statements];
  return { statements: [...structure, ...acl], structure, notes: [...rows.notes, ...cron.notes] };
}

/** The delta migration's text: a lock timeout first, so a busy live table makes it fail fast instead of queueing every query behind it. */
export function deltaSql(statements: string[], header: string[] = []): string {
  return [
    ...header.map((l) => `-- ${l}`),
    ...(header.length ? [""] : []),
    "-- Fail fast rather than queue the app's queries behind a lock on a busy table.",
    "set lock_timeout = '5s';",
    "",
    ...statements.map((s) => s.trim()).join("\n\n").split("\n"),
    "",
  ].join("\n");
}

export async function schemasOf(url: string): Promise<string[]> {
  return withClient(url, async (c) =>
    (await c.query<{ n: string }>(
      "select nspname as n from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema' order by 1",
    )).rows.map((r) => r.n)
  );
}

/** Schemas an extension created (cron, net, …): the extension's, not the project's. */
export async function extensionSchemasOf(url: string): Promise<string[]> {
  return withClient(url, async (c) =>
    (await c.query<{ n: string }>(
      `select distinct n.nspname as n from pg_depend d join pg_namespace n on n.oid = d.objid
        where d.classid = 'pg_namespace'::regclass and d.deptype = 'e'`,
    )).rows.map((r) => r.n)
  );
}

/** Each file in one round trip, as the postgres role (what `supabase db push` runs migrations as). */
export async function applyMigrations(db: PlatformDatabase, files: MigrationFile[]): Promise<void> {
  await withClient(db.postgresUrl, async (c) => {
    for (const f of files) {
      try {
        await c.query(f.content);
      } catch (error) {
        throw new Error(`migration ${f.name} failed: ${(error as Error).message}`);
      }
    }
  });
}

async function migra(bin: string, fromUrl: string, toUrl: string, exclude: string[]): Promise<string[]> {
  const args = ["run", plain(fromUrl), plain(toUrl), "--with-privileges", "--unsafe"];
  if (exclude.length) args.push("--exclude-schema", ...exclude);
  const r = await execa(bin, args, { reject: false, all: true, stdin: "ignore", env: { NO_COLOR: "1" } });
  if (r.exitCode !== 0 && r.exitCode !== 2) {
    throw new Error(`migra failed (exit ${r.exitCode}): ${(r.all ?? "").split("\n").slice(0, 12).join("\n")}`);
  }
  return splitMigra(r.stdout);
}

/**
 * migra's output, as it printed it (function bodies keep their exact text),
 * without its session setting; one element, or none when there is no change.
 */
export function splitMigra(out: string): string[] {
  const text = out.replace(/^set check_function_bodies = off;\s*$/gim, "").trim();
  return text ? [text] : [];
}

/** Top-level statements in SQL text (for the summary): lines that start one at column 0. */
export function countStatements(sql: string): number {
  return (sql.match(/^(create|alter|drop|grant|revoke|comment|insert|update|delete|select|do)\b/gim) ?? []).length;
}

function plain(url: string): string {
  const u = new URL(url);
  u.searchParams.delete("sslmode");
  return u.toString();
}

async function extensionDelta(fromUrl: string, toUrl: string): Promise<string[]> {
  const q = (url: string) =>
    withClient(url, async (c) =>
      (await c.query<{ name: string; sql: string }>(
        "select e.extname as name, format('create extension if not exists %I with schema %I;', e.extname, n.nspname) as sql from pg_extension e join pg_namespace n on n.oid = e.extnamespace",
      )).rows
    );
  const [a, b] = await Promise.all([q(fromUrl), q(toUrl)]);
  return b.filter((e) => !a.some((x) => x.name === e.name)).map((e) => e.sql);
}

/**
 * A table the delta adds a column to keeps it last (PostgreSQL cannot insert a
 * column in the middle), while a fresh project has it where the template put
 * it. migra then sees the table as changed and recreates every view on it,
 * though nothing it can express differs. When migra's whole output is such
 * recreations of views that are identical in both databases (definition,
 * options, grants, columns by name and type), there is no difference.
 * So the proof compares columns by name, not position.
 */
async function withoutIdenticalViews(sql: string, fromUrl: string, toUrl: string, exclude: string[]): Promise<string> {
  if (!sql.trim()) return "";
  const q = (url: string) =>
    withClient(url, async (c) =>
      new Map(
        (await c.query<{ k: string; sig: string }>(
          `select format('%s.%s', n.nspname, c.relname) as k,
                  jsonb_build_object('def', pg_get_viewdef(c.oid), 'opts', c.reloptions, 'acl', c.relacl::text[],
                    'cols', (select jsonb_agg(a.attname || ':' || format_type(a.atttypid, a.atttypmod) order by a.attname)
                               from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped))::text as sig
             from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind = 'v' and not (n.nspname = any($1::text[]))`,
          [exclude],
        )).rows.map((r) => [r.k, r.sig]),
      )
    );
  const [a, b] = await Promise.all([q(fromUrl), q(toUrl)]);
  let rest = sql;
  for (const [k, sig] of b) {
    if (a.get(k) !== sig) continue;
    const [s, v] = k.split(".");
    rest = rest
      .replace(new RegExp(`^drop view if exists "${s}"\\."${v}";\\s*$`, "m"), "")
      .replace(new RegExp(`^create or replace view "${s}"\\."${v}" as [\\s\\S]*?;\\s*$(?=\\n\\s*\\n|\\n*$)`, "m"), "");
  }
  return rest.trim() ? sql : "";
}

/**
 * migra recreates a view (when a table under it changes) without its options
 * or grants: `security_invoker = true` (what keeps RLS applying through the
 * ops views) and `grant select … to service_role` would be lost. Every view
 * the diff (re)creates gets both back from the target database.
 */
async function viewRestore(toUrl: string, sql: string, exclude: string[]): Promise<string[]> {
  const views = await withClient(toUrl, async (c) =>
    (await c.query<{ s: string; v: string; name: string; opts: string[] | null; grants: Array<{ grantee: string; privilege: string }> | null }>(
      `select n.nspname as s, c.relname as v, format('%I.%I', n.nspname, c.relname) as name, c.reloptions as opts,
              (select jsonb_agg(jsonb_build_object('grantee', case when a.grantee = 0 then 'public' else a.grantee::regrole::text end, 'privilege', a.privilege_type))
                 from aclexplode(c.relacl) a where a.grantee <> c.relowner) as grants
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'v' and not (n.nspname = any($1::text[]))`,
      [exclude],
    )).rows
  );
  const out: string[] = [];
  for (const { s, v, name, opts, grants } of views) {
    const created = new RegExp(`create (or replace )?view "?${s}"?\\."?${v}"?\\s`, "i").test(sql);
    if (!created) continue;
    if (opts?.length) out.push(`alter view ${name} set (${opts.join(", ")});`);
    for (const g of grants ?? []) out.push(`grant ${g.privilege.toLowerCase()} on ${name} to ${g.grantee};`);
  }
  return out;
}

interface TableRows {
  table: string;
  key: string[];
  /** Columns compared: not filled by a volatile default (timestamps, generated ids). */
  columns: string[];
  /** Each column as SQL names it (quote_ident: a keyword or capital letter gets quotes). */
  quoted: Map<string, string>;
  rows: Map<string, Record<string, unknown>>;
}

async function tablesWithRows(c: pg.Client, exclude: string[]): Promise<Map<string, TableRows>> {
  const tables = (await c.query<{ t: string; key: string[] | null }>(
    `select format('%I.%I', n.nspname, c.relname) as t,
            (select array_agg(a.attname::text order by array_position(i.indkey::int2[], a.attnum))
               from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
              where i.indrelid = c.oid and i.indisprimary) as key
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
        and not (n.nspname = any($1::text[]))
      order by 1`,
    [exclude],
  )).rows;
  const out = new Map<string, TableRows>();
  for (const { t, key } of tables) {
    if (!key) continue;
    const data = (await c.query<{ r: Record<string, unknown> }>(`select to_jsonb(x) as r from ${t} x`)).rows;
    if (data.length === 0) continue;
    const cols = (await c.query<{ name: string; q: string; def: string | null }>(
      `select a.attname as name, quote_ident(a.attname) as q, pg_get_expr(d.adbin, d.adrelid) as def
         from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
        order by a.attnum`,
      [t],
    )).rows;
    const columns = cols.filter((col) => !/now\(\)|clock_timestamp|gen_random_uuid|uuid_generate|nextval|current_timestamp/i.test(col.def ?? "")).map((col) => col.name);
    const rows = new Map<string, Record<string, unknown>>();
    for (const row of data) {
      rows.set(JSON.stringify(key.map((k) => row.r[k])), row.r);
    }
    out.set(t, { table: t, key, columns, quoted: new Map(cols.map((col) => [col.name, col.q])), rows });
  }
  return out;
}

async function rowDelta(fromUrl: string, toUrl: string, exclude: string[]): Promise<{ statements: string[]; notes: string[] }> {
  // Platform schemas are excluded, except storage (its buckets are project data).
  const [a, b] = await Promise.all([
    withClient(fromUrl, (c) => tablesWithRows(c, exclude)),
    withClient(toUrl, (c) => tablesWithRows(c, exclude)),
  ]);
  const statements: string[] = [];
  const notes: string[] = [];
  for (const [t, target] of b) {
    const ident = (col: string) => target.quoted.get(col) ?? `"${col.replaceAll('"', '""')}"`;
    const current = a.get(t);
    const inserts: Record<string, unknown>[] = [];
    for (const [k, row] of target.rows) {
      const old = current?.rows.get(k);
      if (!old) {
        inserts.push(pick(row, target.columns));
        continue;
      }
      const changed = target.columns.filter((col) => !target.key.includes(col) && JSON.stringify(old[col]) !== JSON.stringify(row[col]));
      if (changed.length === 0) continue;
      const sets = changed.map((col) => `${ident(col)} = n.${ident(col)}`).join(", ");
      const keyMatch = target.key.map((col) => `x.${ident(col)} = n.${ident(col)}`).join(" and ");
      const guard = changed.map((col) => `x.${ident(col)} is not distinct from o.${ident(col)}`).join(" and ");
      statements.push(
        `-- ${t} ${k}: new generated ${changed.join(", ")}; kept where you changed it\nupdate ${t} as x set ${sets}\n  from jsonb_populate_record(null::${t}, ${lit(JSON.stringify(pick(row, target.columns)))}) as n,\n       jsonb_populate_record(null::${t}, ${lit(JSON.stringify(pick(old, target.columns)))}) as o\n where ${keyMatch} and ${guard};`,
      );
    }
    if (inserts.length > 0) {
      const cols = target.columns.map(ident).join(", ");
      statements.push(
        `insert into ${t} (${cols})\nselect ${cols} from jsonb_populate_recordset(null::${t}, ${lit(JSON.stringify(inserts, null, 1))})\non conflict do nothing;`,
      );
    }
  }
  for (const [t, current] of a) {
    const target = b.get(t);
    const gone = [...current.rows.keys()].filter((k) => !target?.rows.has(k));
    if (gone.length > 0) notes.push(`${t}: ${gone.length} row(s) no longer generated (${gone.slice(0, 5).join(", ")}) — left in place`);
  }
  return { statements, notes };
}

function pick(row: Record<string, unknown>, columns: string[]): Record<string, unknown> {
  return Object.fromEntries(columns.map((c) => [c, row[c]]));
}

async function cronDelta(fromUrl: string, toUrl: string): Promise<{ statements: string[]; notes: string[] }> {
  const q = (url: string) =>
    withClient(url, async (c) => {
      const has = (await c.query("select 1 from pg_extension where extname = 'pg_cron'")).rowCount;
      if (!has) return new Map<string, { schedule: string; command: string }>();
      const rows = (await c.query<{ jobname: string; schedule: string; command: string }>(
        "select jobname, schedule, command from cron.job where jobname is not null order by jobname",
      )).rows;
      return new Map(rows.map((r) => [r.jobname, { schedule: r.schedule, command: r.command }]));
    });
  const [a, b] = await Promise.all([q(fromUrl), q(toUrl)]);
  const body: string[] = [];
  for (const [name, job] of b) {
    const old = a.get(name);
    const call = `perform cron.schedule(${lit(name)}, ${lit(job.schedule)}, ${dollar(job.command)});`;
    if (!old) {
      body.push(`  if not exists (select 1 from cron.job where jobname = ${lit(name)}) then\n    ${call}\n  end if;`);
    } else if (old.schedule !== job.schedule || old.command !== job.command) {
      body.push(
        `  -- re-scheduled only if the job is still as generated (a schedule you changed is kept)\n  if exists (select 1 from cron.job where jobname = ${lit(name)} and schedule = ${lit(old.schedule)} and command = ${dollar(old.command)}) then\n    ${call}\n  end if;`,
      );
    }
  }
  const notes = [...a.keys()].filter((n) => !b.has(n)).map((n) => `cron job ${n} is no longer generated — left scheduled; remove it with select cron.unschedule(${lit(n)}) if you do not need it`);
  if (body.length === 0) return { statements: [], notes };
  return {
    statements: [
      // The block's own tag must not occur in a job's command either.
      `do ${
        dollar(
          `\nbegin\n  if not exists (select 1 from pg_extension where extname = 'pg_cron') then\n    raise notice 'pg_cron missing: schedules not changed';\n    return;\n  end if;\n${body.join("\n")}\nend\n`,
          "cron",
        )
      };`,
    ],
    notes,
  };
}

export function lit(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A dollar-quoted literal whose tag does not occur in the text. */
function dollar(text: string, tag = "cmd"): string {
  while (text.includes(`$${tag}$`)) tag += "_";
  return `$${tag}$${text}$${tag}$`;
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
