/**
 * database.types.ts is written by hand as a template, so this test holds it
 * against the real thing: the migrations are applied to a real PostgreSQL and
 * every table column (Row / Insert / Update), foreign key and public function
 * (argument names, types, defaults, return type) is compared with the
 * rendered file, for several option sets. It also must be `deno fmt` clean
 * and type-check with `deno check`.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Options } from "../../src/options.js";
import { type PostgresServer, startPostgres, withClient } from "../../src/verify/postgres.js";
import { FULL_OPTIONS, MINIMAL_OPTIONS, migratedDatabase, renderDatabase } from "../ledger/db.js";

const TYPES_PATH = "supabase/functions/_shared/database.types.ts";
const DENO = path.resolve("node_modules/.bin/deno");

// ---- the TypeScript side ---------------------------------------------------

interface Member {
  optional: boolean;
  type: string;
}
type Members = Record<string, Member>;

function typeLiteralAt(node: ts.TypeNode, keys: string[]): ts.TypeLiteralNode {
  let current: ts.TypeNode = node;
  for (const key of keys) {
    if (!ts.isTypeLiteralNode(current)) throw new Error(`not an object type at ${key}`);
    const prop = current.members.find(
      (m): m is ts.PropertySignature => ts.isPropertySignature(m) && m.name.getText() === key,
    );
    if (!prop?.type) throw new Error(`missing ${keys.join(".")}`);
    current = prop.type;
  }
  if (!ts.isTypeLiteralNode(current)) throw new Error(`${keys.join(".")} is not an object type`);
  return current;
}

function membersOf(lit: ts.TypeLiteralNode): Members {
  const out: Members = {};
  for (const m of lit.members) {
    if (!ts.isPropertySignature(m) || !m.type) continue;
    out[m.name.getText()] = { optional: m.questionToken !== undefined, type: m.type.getText().replace(/\s+/g, " ") };
  }
  return out;
}

function keysOf(lit: ts.TypeLiteralNode): string[] {
  return lit.members.filter(ts.isPropertySignature).map((m) => m.name.getText());
}

function relationshipsOf(table: ts.TypeLiteralNode): string[] {
  const prop = table.members.find(
    (m): m is ts.PropertySignature => ts.isPropertySignature(m) && m.name.getText() === "Relationships",
  );
  if (!prop?.type || !ts.isTupleTypeNode(prop.type)) throw new Error("Relationships is not a tuple");
  return prop.type.elements.map((el) => {
    if (!ts.isTypeLiteralNode(el)) throw new Error("a relationship is not an object type");
    const m = membersOf(el);
    const unquote = (t: string | undefined) => (t ?? "").replace(/[\[\]" ]/g, "");
    return `${unquote(m.foreignKeyName?.type)}:${unquote(m.columns?.type)}->${unquote(m.referencedRelation?.type)}`;
  });
}

function databaseType(source: string): ts.TypeNode {
  const sf = ts.createSourceFile("database.types.ts", source, ts.ScriptTarget.Latest, true);
  const alias = sf.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === "Database");
  if (!alias) throw new Error("no Database type");
  return alias.type;
}

// ---- the database side -----------------------------------------------------

const TS_OF: Record<string, string> = {
  uuid: "string",
  text: "string",
  "timestamp with time zone": "string",
  interval: "string",
  integer: "number",
  bigint: "number",
  boolean: "boolean",
  jsonb: "Json",
};
function tsOf(pgType: string): string {
  const t = TS_OF[pgType];
  if (!t) throw new Error(`no TypeScript mapping for ${pgType}`);
  return t;
}

interface Column {
  name: string;
  type: string;
  nullable: boolean;
  hasDefault: boolean;
  identityAlways: boolean;
}

async function dbColumns(url: string): Promise<Record<string, Column[]>> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ table: string; name: string; type: string; nullable: boolean; has_default: boolean; identity: string }>(`
      select cl.relname as table, a.attname as name, format_type(a.atttypid, null) as type,
             not a.attnotnull as nullable, a.atthasdef or a.attidentity <> '' as has_default, a.attidentity as identity
      from pg_attribute a join pg_class cl on cl.oid = a.attrelid join pg_namespace n on n.oid = cl.relnamespace
      where n.nspname = 'public' and cl.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
      order by cl.relname, a.attnum`);
    const out: Record<string, Column[]> = {};
    for (const r of rows) {
      (out[r.table] ??= []).push({ name: r.name, type: r.type, nullable: r.nullable, hasDefault: r.has_default, identityAlways: r.identity === "a" });
    }
    return out;
  });
}

async function dbForeignKeys(url: string): Promise<Record<string, string[]>> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ table: string; fk: string }>(`
      select t.relname as table,
             c.conname || ':' || (select string_agg(a.attname, ',' order by k.ord) from unnest(c.conkey) with ordinality k(attnum, ord)
                                  join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum)
             || '->' || r.relname as fk
      from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_class r on r.oid = c.confrelid
      join pg_namespace n on n.oid = t.relnamespace join pg_namespace rn on rn.oid = r.relnamespace
      where c.contype = 'f' and n.nspname = 'public' and rn.nspname = 'public'
      order by 1, 2`);
    const out: Record<string, string[]> = {};
    for (const r of rows) (out[r.table] ??= []).push(r.fk);
    return out;
  });
}

interface Fn {
  name: string;
  args: Array<{ name: string; type: string; hasDefault: boolean }>;
  returns: string;
  setof: boolean;
}

async function dbFunctions(url: string): Promise<Fn[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ name: string; names: string[]; types: string[]; ndefaults: number; returns: string; setof: boolean }>(`
      select p.proname as name, coalesce(p.proargnames, '{}') as names,
             array(select format_type(t, null) from unnest(p.proargtypes::oid[]) t) as types,
             p.pronargdefaults as ndefaults, format_type(p.prorettype, null) as returns, p.proretset as setof
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' order by p.proname`);
    return rows.map((r) => ({
      name: r.name,
      returns: r.returns,
      setof: r.setof,
      args: r.types.map((type, i) => ({ name: r.names[i]!, type, hasDefault: i >= r.types.length - r.ndefaults })),
    }));
  });
}

// ---- the comparison --------------------------------------------------------

function expectedRow(cols: Column[]): Members {
  return Object.fromEntries(cols.map((c) => [c.name, { optional: false, type: tsOf(c.type) + (c.nullable ? " | null" : "") }]));
}
function expectedInsert(cols: Column[], update: boolean): Members {
  return Object.fromEntries(
    cols.map((c) => [
      c.name,
      {
        optional: update || c.nullable || c.hasDefault,
        type: c.identityAlways ? "never" : tsOf(c.type) + (c.nullable ? " | null" : ""),
      },
    ]),
  );
}

async function compare(url: string, source: string): Promise<void> {
  const db = databaseType(source);
  const columns = await dbColumns(url);
  const fks = await dbForeignKeys(url);
  const tables = typeLiteralAt(db, ["public", "Tables"]);
  expect(keysOf(tables).sort(), "tables").toEqual(Object.keys(columns).sort());
  for (const [table, cols] of Object.entries(columns)) {
    expect(membersOf(typeLiteralAt(db, ["public", "Tables", table, "Row"])), `${table}.Row`).toEqual(expectedRow(cols));
    expect(membersOf(typeLiteralAt(db, ["public", "Tables", table, "Insert"])), `${table}.Insert`).toEqual(expectedInsert(cols, false));
    expect(membersOf(typeLiteralAt(db, ["public", "Tables", table, "Update"])), `${table}.Update`).toEqual(expectedInsert(cols, true));
    // Relationships: "name:columns->table" for each foreign key inside public.
    const declared = relationshipsOf(typeLiteralAt(db, ["public", "Tables", table])).sort();
    expect(declared, `${table}.Relationships`).toEqual((fks[table] ?? []).sort());
  }

  const functions = typeLiteralAt(db, ["public", "Functions"]);
  const fns = await dbFunctions(url);
  expect(keysOf(functions).sort(), "functions").toEqual(fns.map((f) => f.name).sort());
  for (const fn of fns) {
    const args = membersOf(typeLiteralAt(db, ["public", "Functions", fn.name, "Args"]));
    expect(args, `${fn.name}.Args`).toEqual(
      Object.fromEntries(fn.args.map((a) => [a.name, { optional: a.hasDefault, type: tsOf(a.type) }])),
    );
    const fnType = typeLiteralAt(db, ["public", "Functions", fn.name]);
    const returns = membersOf(fnType).Returns!;
    if (columns[fn.returns] && fn.setof) {
      // Returns a set of a table's rows: an array of that table's Row.
      const prop = fnType.members.find(
        (m): m is ts.PropertySignature => ts.isPropertySignature(m) && m.name.getText() === "Returns",
      );
      const element = prop?.type && ts.isArrayTypeNode(prop.type) ? prop.type.elementType : undefined;
      expect(element && ts.isTypeLiteralNode(element), `${fn.name}.Returns is an array of rows`).toBe(true);
      expect(membersOf(element as ts.TypeLiteralNode), `${fn.name}.Returns[]`).toEqual(expectedRow(columns[fn.returns]!));
      expect(source, `${fn.name}.SetofOptions`).toMatch(
        new RegExp(`${fn.name}: \\{[\\s\\S]*?SetofOptions: \\{\\s*from: "\\*";\\s*to: "${fn.returns}";\\s*isOneToOne: false;\\s*isSetofReturn: true;`),
      );
    } else if (columns[fn.returns]) {
      // Returns a table's row type: the same members as that table's Row.
      expect(membersOf(typeLiteralAt(db, ["public", "Functions", fn.name, "Returns"])), `${fn.name}.Returns`).toEqual(
        expectedRow(columns[fn.returns]!),
      );
      expect(source, `${fn.name}.SetofOptions`).toMatch(
        new RegExp(`${fn.name}: \\{[\\s\\S]*?SetofOptions: \\{\\s*from: "\\*";\\s*to: "${fn.returns}";`),
      );
    } else if (fn.returns === "void") {
      expect(returns.type, `${fn.name}.Returns`).toBe("undefined");
    } else {
      expect(returns.type.replace(/ \| null$/, ""), `${fn.name}.Returns`).toBe(tsOf(fn.returns));
    }
  }
}

// ---- the runs ----------------------------------------------------------------

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres({ pgMajor: 17 });
});
afterAll(async () => {
  await server?.stop();
});

const optionSets: Array<[string, Options]> = [
  ["all features", FULL_OPTIONS],
  ["no IAP, Runway only", MINIMAL_OPTIONS],
  ["Google Play only, fal + Replicate", { ...FULL_OPTIONS, iap: ["google"], providers: ["fal", "replicate"] }],
];

describe.each(optionSets)("database.types.ts (%s)", (_name, options) => {
  it("matches the migrated database: tables, columns, foreign keys, functions", async () => {
    const db = await migratedDatabase(server, { regime: "2026", options });
    const file = db.files.find((f) => f.path === TYPES_PATH);
    expect(file, TYPES_PATH).toBeDefined();
    await compare(db.postgresUrl, file!.content);
  });

  it("is deno fmt clean and type-checks", () => {
    const file = renderDatabase(options).find((f) => f.path === TYPES_PATH)!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-types-"));
    try {
      // The generated supabase/functions/deno.json formats with lineWidth 100.
      fs.writeFileSync(path.join(dir, "deno.json"), JSON.stringify({ fmt: { lineWidth: 100 } }));
      fs.writeFileSync(path.join(dir, "database.types.ts"), file.content);
      fs.writeFileSync(
        path.join(dir, "use.ts"),
        [
          'import type { Database, FunctionArgs, Tables } from "./database.types.ts";',
          'type Job = Database["public"]["Tables"]["video_jobs"]["Row"];',
          'const args: FunctionArgs<"create_video_job"> = { p_user_id: "u", p_model_id: "m", p_idempotency_key: "k", p_input: { prompt: "x" } };',
          'const job: Job | null = null as Tables<"video_jobs"> | null;',
          "console.log(args, job);",
          "",
        ].join("\n"),
      );
      const run = (args: string[]) => execFileSync(DENO, args, { cwd: dir, encoding: "utf8", stdio: "pipe" });
      run(["fmt", "--check", "database.types.ts"]);
      run(["check", "database.types.ts", "use.ts"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
