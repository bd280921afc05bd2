/**
 * "A diagram names only what exists in its project", as a function the tests
 * call for every rendered diagram (and, in negative tests, for diagrams of
 * the wrong project).
 *
 * The convention the diagram templates follow (docs/templates.md):
 * - Code names are written in backticks: `create_video_job` (a SQL function),
 *   `video_jobs` (a table), `video_jobs.status` (a column), `poll-jobs` (an
 *   Edge Function), `videos` (a Storage bucket). Each must exist in the
 *   project; a backticked name that is none of these is an error.
 * - A sequence participant is an Edge Function of the project (named after its
 *   folder) or one of the outside parties below, which is only allowed when
 *   the option that brings it in was chosen. " / " joins several in one
 *   participant (`fal / runway`).
 * - An entity-relationship diagram shows every table of the `public` schema,
 *   and nothing else; each attribute is a real column of the right type; PK
 *   and FK mark exactly the primary and foreign key columns; there is one
 *   relationship per foreign key between public tables, labelled with the
 *   column, with the cardinality its nullability and uniqueness imply.
 * - The state diagram is of a column with an inline `check (col in (…))`: its
 *   states are exactly those values, and every transition between states
 *   names the SQL function that makes it.
 */
import type { Has } from "../../src/plan.js";
import type { Parsed } from "./mermaid.js";
import type { Schema } from "./schema.js";

export interface Project {
  /** Edge Function folder names in the generated tree. */
  edgeFunctions: Set<string>;
  schema: Schema;
  has: Has;
}

/** Outside parties a sequence diagram may show, and the option each needs (null: always there). */
export const OUTSIDE: Record<string, keyof Has | null> = {
  App: null,
  Postgres: null,
  Storage: null,
  "Supabase Auth": null,
  fal: "fal",
  runway: "runway",
  replicate: "replicate",
  "App Store": "appleIap",
  "Google Play": "googleIap",
  "Pub/Sub": "googleIap",
  RevenueCat: "revenuecat",
  DeviceCheck: "deviceCheck",
  "Sign in with Apple": "appleAuth",
};

const IDENT = /^[a-z_][a-z0-9_]*$/;
const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/;

/** The backticked names in a text. */
export function codeNames(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

export type NameKind = "function" | "table" | "column" | "edge function" | "bucket";

/** What a backticked name is in this project, or null when it is nothing there. */
export function resolve(name: string, p: Project): NameKind | null {
  if (KEBAB.test(name)) return p.edgeFunctions.has(name) ? "edge function" : null;
  const parts = name.split(".");
  if (parts.length === 1 && IDENT.test(name)) {
    if (p.schema.functions.has(`public.${name}`) || p.schema.functions.has(`private.${name}`)) return "function";
    if (p.schema.tables.has(`public.${name}`)) return "table";
    if (p.schema.buckets.has(name)) return "bucket";
    return null;
  }
  if (parts.length === 2 && parts.every((s) => IDENT.test(s))) {
    const [a, b] = parts as [string, string];
    if (p.schema.tables.get(`public.${a}`)?.columns.has(b)) return "column";
    if (p.schema.functions.has(name)) return "function";
    if (p.schema.tables.has(name)) return "table";
  }
  return null;
}

function checkTexts(parsed: Parsed, p: Project, problems: string[]): void {
  for (const { where, text } of parsed.texts) {
    for (const name of codeNames(text)) {
      if (!resolve(name, p)) problems.push(`${where}: \`${name}\` is not a SQL function, table, column, Edge Function or bucket of this project`);
    }
  }
}

function checkParticipants(participants: { where: string; text: string }[], p: Project, problems: string[]): void {
  for (const { where, text } of participants) {
    for (const part of text.split(" / ")) {
      if (Object.hasOwn(OUTSIDE, part)) {
        const needs = OUTSIDE[part];
        if (needs && !p.has[needs]) problems.push(`${where}: ${part} is shown, but this project did not choose it`);
      } else if (KEBAB.test(part)) {
        if (!p.edgeFunctions.has(part)) problems.push(`${where}: Edge Function ${part} is not in this project`);
      } else {
        problems.push(`${where}: "${part}" is neither an Edge Function nor a known outside party`);
      }
    }
  }
}

const ONE = "ONLY_ONE";
const ZERO_OR_ONE = "ZERO_OR_ONE";
const MANY = "ZERO_OR_MORE";

function checkEr(parsed: Extract<Parsed, { type: "er" }>, p: Project, problems: string[]): void {
  const publicTables = [...p.schema.tables.values()].filter((t) => t.name.startsWith("public."));
  const shown = new Set(parsed.entities.keys());
  for (const t of publicTables) {
    const name = t.name.slice("public.".length);
    if (!shown.has(name)) problems.push(`table ${name} is missing from the diagram`);
  }
  for (const [entity, attributes] of parsed.entities) {
    const table = p.schema.tables.get(`public.${entity}`);
    if (!table) {
      problems.push(`entity ${entity} is not a public table of this project`);
      continue;
    }
    const listed = new Set(attributes.map((a) => a.name));
    for (const a of attributes) {
      const col = table.columns.get(a.name);
      if (!col) {
        problems.push(`${entity}.${a.name} is not a column`);
        continue;
      }
      if (a.type !== col.type) problems.push(`${entity}.${a.name} is ${col.type}, the diagram says ${a.type}`);
      if (a.keys.includes("PK") !== col.primaryKey) {
        problems.push(`${entity}.${a.name}: PK ${col.primaryKey ? "missing" : "on a column that is not the primary key"}`);
      }
      if (a.keys.includes("FK") !== Boolean(col.references)) {
        problems.push(`${entity}.${a.name}: FK ${col.references ? "missing" : "on a column that references nothing"}`);
      }
    }
    for (const col of table.columns.values()) {
      if ((col.primaryKey || col.references) && !listed.has(col.name)) {
        problems.push(`${entity}.${col.name} is a key column but is not shown`);
      }
    }
  }
  // One relationship per foreign key between public tables, and no other.
  const expected = new Map<string, string>();
  for (const t of publicTables) {
    for (const col of t.columns.values()) {
      if (!col.references?.table.startsWith("public.")) continue;
      const aloneUnique = (col.primaryKey && [...t.columns.values()].filter((c) => c.primaryKey).length === 1) ||
        t.uniques.some((u) => u.length === 1 && u[0] === col.name);
      const parent = col.references.table.slice("public.".length);
      const child = t.name.slice("public.".length);
      expected.set(`${parent}→${child}:${col.name}`, `${col.notNull ? ONE : ZERO_OR_ONE}/${aloneUnique ? ZERO_OR_ONE : MANY}`);
    }
  }
  for (const r of parsed.relationships) {
    const key = `${r.left}→${r.right}:${r.label}`;
    const cards = expected.get(key);
    if (!cards) {
      problems.push(`relationship ${r.left} → ${r.right} (${r.label}) is not a foreign key ${r.right}.${r.label} → ${r.left}`);
      continue;
    }
    if (`${r.leftCard}/${r.rightCard}` !== cards) {
      problems.push(`relationship ${key}: cardinality ${r.leftCard}/${r.rightCard}, the schema implies ${cards}`);
    }
    expected.delete(key);
  }
  for (const key of expected.keys()) problems.push(`foreign key ${key} has no relationship in the diagram`);
}

function checkStates(parsed: Extract<Parsed, { type: "state" }>, p: Project, column: string, problems: string[]): void {
  const [table, name] = column.split(".") as [string, string];
  const allowed = p.schema.tables.get(`public.${table}`)?.columns.get(name)?.allowed;
  if (!allowed) {
    problems.push(`${column} has no check (… in (…)) listing its values`);
    return;
  }
  const states = new Set(parsed.states);
  for (const v of allowed) if (!states.has(v)) problems.push(`state ${v} of ${column} is missing`);
  for (const s of states) if (!allowed.includes(s)) problems.push(`state ${s} is not a value of ${column}`);
  for (const e of parsed.edges) {
    if (e.toEnd || (e.fromStart && !e.label)) continue;
    const functions = codeNames(e.label).filter((n) => resolve(n, p) === "function");
    if (functions.length === 0) problems.push(`transition ${e.start} → ${e.end} names no SQL function`);
  }
}

/**
 * Problems of one parsed diagram in one project (empty when it is true).
 * `stateColumn`: the `table.column` a state diagram shows.
 */
export function checkDiagram(parsed: Parsed, p: Project, stateColumn = "video_jobs.status"): string[] {
  const problems: string[] = [];
  checkTexts(parsed, p, problems);
  if (parsed.type === "sequence") checkParticipants(parsed.participants, p, problems);
  if (parsed.type === "er") checkEr(parsed, p, problems);
  if (parsed.type === "state") checkStates(parsed, p, stateColumn, problems);
  return problems;
}
