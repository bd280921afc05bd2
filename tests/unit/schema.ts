/**
 * What a generated project's migrations create, read from the rendered SQL:
 * tables with their columns and keys, functions, Storage buckets. Used to
 * check that diagrams name only what exists. A small reader for the SQL our
 * own templates write (`create table … (…)`, `alter table … add column`,
 * `create or replace function`), not a general SQL parser: a statement it
 * cannot read makes the check fail rather than pass.
 */

export interface Column {
  name: string;
  /** The first word of the SQL type: uuid, text, integer, bigint, … */
  type: string;
  notNull: boolean;
  primaryKey: boolean;
  /** `references schema.table (column)`. */
  references?: { table: string; column: string };
  /** The values of an inline `check (column in ('a', 'b'))`. */
  allowed?: string[];
}

export interface Table {
  /** `schema.name` */
  name: string;
  columns: Map<string, Column>;
  /** Column sets of unique constraints written in the table. */
  uniques: string[][];
}

export interface Schema {
  tables: Map<string, Table>;
  /** `schema.name` of every function. */
  functions: Set<string>;
  buckets: Set<string>;
}

/** SQL without comments (`-- …` to end of line; our templates write no block comments). */
function stripComments(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'|--[^\n]*/g, (m) => (m.startsWith("--") ? "" : m));
}

/** Splits at commas not inside parentheses or quotes. */
function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "'") quoted = !quoted;
    else if (quoted) continue;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts.map((p) => p.trim().replace(/\s+/g, " ")).filter(Boolean);
}

/** The text between the parenthesis at `open` and its match. */
function parenthesised(sql: string, open: number): string {
  let depth = 0;
  let quoted = false;
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'") quoted = !quoted;
    else if (quoted) continue;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return sql.slice(open + 1, i);
  }
  throw new Error(`unbalanced parentheses after: ${sql.slice(open, open + 80)}`);
}

const NAME = "[a-z_][a-z0-9_]*";
const list = (s: string) => s.split(",").map((c) => c.trim());

function qualified(name: string): string {
  return name.includes(".") ? name : `public.${name}`;
}

function columnOf(def: string): Column {
  const m = new RegExp(`^(${NAME}) (${NAME})`, "i").exec(def);
  if (!m) throw new Error(`cannot read column definition: ${def}`);
  const ref = new RegExp(`references (${NAME}(?:\\.${NAME})?) ?\\((${NAME})\\)`, "i").exec(def);
  const allowed = new RegExp(`check \\(${m[1]} in \\(([^)]*)\\)\\)`, "i").exec(def);
  return {
    name: m[1]!,
    type: m[2]!.toLowerCase(),
    notNull: /\bnot null\b|\bprimary key\b/i.test(def),
    primaryKey: /\bprimary key\b/i.test(def),
    ...(ref ? { references: { table: qualified(ref[1]!), column: ref[2]! } } : {}),
    ...(allowed ? { allowed: list(allowed[1]!).map((v) => v.replace(/^'|'$/g, "")) } : {}),
  };
}

function addConstraint(table: Table, def: string): void {
  const body = def.replace(new RegExp(`^constraint ${NAME} `, "i"), "");
  const pk = /^primary key \(([^)]*)\)/i.exec(body);
  if (pk) {
    for (const c of list(pk[1]!)) {
      const col = table.columns.get(c);
      if (!col) throw new Error(`${table.name}: primary key names unknown column ${c}`);
      col.primaryKey = true;
      col.notNull = true;
    }
    return;
  }
  const unique = /^unique \(([^)]*)\)/i.exec(body);
  if (unique) {
    table.uniques.push(list(unique[1]!));
    return;
  }
  const fk = new RegExp(`^foreign key \\((${NAME})\\) references (${NAME}(?:\\.${NAME})?) ?\\((${NAME})\\)`, "i")
    .exec(body);
  if (fk) {
    const col = table.columns.get(fk[1]!);
    if (!col) throw new Error(`${table.name}: foreign key names unknown column ${fk[1]}`);
    col.references = { table: qualified(fk[2]!), column: fk[3]! };
    return;
  }
  if (/^(check|exclude)\b/i.test(body)) return;
  throw new Error(`${table.name}: cannot read table constraint: ${def}`);
}

const CONSTRAINT = /^(constraint|primary key|unique|foreign key|check|exclude)\b/i;

/** Everything the given migrations (in order) create. */
export function schemaOf(migrations: string[]): Schema {
  const schema: Schema = { tables: new Map(), functions: new Set(), buckets: new Set() };
  for (const raw of migrations) {
    const sql = stripComments(raw);
    const create = new RegExp(`create table (?:if not exists )?(${NAME}(?:\\.${NAME})?) ?\\(`, "gi");
    for (const m of sql.matchAll(create)) {
      const name = qualified(m[1]!);
      const table: Table = { name, columns: new Map(), uniques: [] };
      const defs = splitTopLevel(parenthesised(sql, m.index! + m[0].length - 1));
      for (const def of defs.filter((d) => !CONSTRAINT.test(d))) {
        const col = columnOf(def);
        table.columns.set(col.name, col);
      }
      for (const def of defs.filter((d) => CONSTRAINT.test(d))) addConstraint(table, def);
      schema.tables.set(name, table);
    }
    const alter = new RegExp(`alter table (?:only )?(${NAME}(?:\\.${NAME})?) ([^;]*);`, "gi");
    for (const m of sql.matchAll(alter)) {
      const table = schema.tables.get(qualified(m[1]!));
      for (const action of splitTopLevel(m[2]!)) {
        const add = /^add column (?:if not exists )?(.*)$/i.exec(action);
        if (add && table) {
          const col = columnOf(add[1]!);
          table.columns.set(col.name, col);
        }
        const drop = new RegExp(`^drop column (?:if exists )?(${NAME})`, "i").exec(action);
        if (drop && table) table.columns.delete(drop[1]!);
        const constraint = /^add (constraint .*)$/i.exec(action);
        if (constraint && table) addConstraint(table, constraint[1]!);
      }
    }
    const drop = new RegExp(`drop table (?:if exists )?(${NAME}(?:\\.${NAME})?)`, "gi");
    for (const m of sql.matchAll(drop)) schema.tables.delete(qualified(m[1]!));
    const fn = new RegExp(`create (?:or replace )?function (${NAME}(?:\\.${NAME})?) ?\\(`, "gi");
    for (const m of sql.matchAll(fn)) schema.functions.add(qualified(m[1]!));
    const bucket = /insert into storage\.buckets \([^)]*\)\s*values\s*\('([^']+)'/gi;
    for (const m of sql.matchAll(bucket)) schema.buckets.add(m[1]!);
  }
  return schema;
}
