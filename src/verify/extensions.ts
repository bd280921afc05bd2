/**
 * The Supabase platform extensions the schedules use, for a server that does
 * not have them: pg_cron (SQL interface only), pg_net (requests queued, never
 * sent) and Supabase Vault. Each is a real PostgreSQL extension (a control
 * file and an install script written into the server's private
 * `share/extension`, see `overlayInstall`), so `pg_available_extensions` and
 * `pg_extension` list them and a migration's `create extension` runs exactly
 * as on Supabase.
 *
 * Fidelity: the tables, views, types, function names, argument names, types
 * and defaults are those of the versions Supabase runs (pg_cron 1.6, pg_net
 * 0.20, supabase_vault 0.3), as are the errors a migration can hit (invalid
 * schedule, unknown job, non-JSON content type, duplicate secret name) and the
 * grants. What is not emulated, by design: pg_cron's scheduler (verify runs
 * each job's command itself, as pg_cron would), pg_net's HTTP worker (a
 * request stays in `net.http_request_queue`, where pg_net queues it until
 * commit), and libsodium (Vault encrypts with a stream cipher built on the
 * core sha256(), authenticated, keyed by a per-database random key only the
 * superuser can read).
 *
 * Privileges, as on Supabase: the control files are `trusted`, so role
 * `postgres` may create them and their scripts run as the bootstrap superuser
 * (`supabase_admin`), the way supautils runs CREATE EXTENSION of its
 * "privileged extensions"; the platform's event triggers (platform-sql.ts)
 * then apply Supabase's grants.
 *
 * On PostgreSQL 15 with Debian's postgresql-15-cron, verify uses the REAL
 * pg_cron instead (its control file copied with `trusted = true` added).
 */
import fs from "node:fs";
import path from "node:path";
import { EMULATED } from "./emulated.js";
import { PG_CRON_SQL } from "./pg-cron-sql.js";
import { PG_NET_SQL } from "./pg-net-sql.js";
import { VAULT_SQL } from "./vault-sql.js";

export { EMULATED } from "./emulated.js";

export interface ExtensionFiles {
  control: string;
  /** `<name>--<version>.sql` → content. */
  scripts: Record<string, string>;
}

const control = (lines: Record<string, string | boolean>): string =>
  Object.entries(lines)
    .map(([k, v]) => `${k} = ${typeof v === "boolean" ? String(v) : `'${v}'`}`)
    .join("\n") + "\n";

export const EMULATIONS: Record<"pg_cron" | "pg_net" | "supabase_vault", ExtensionFiles> = {
  pg_cron: {
    control: control({
      comment: `Job scheduler for PostgreSQL (SQL interface ${EMULATED}: jobs are stored, not run)`,
      default_version: "1.6",
      relocatable: false,
      schema: "pg_catalog",
      trusted: true,
    }),
    scripts: { "pg_cron--1.6.sql": PG_CRON_SQL },
  },
  pg_net: {
    control: control({
      comment: `Async HTTP (${EMULATED}: requests are queued, never sent)`,
      default_version: "0.20.4",
      relocatable: false,
      trusted: true,
    }),
    scripts: { "pg_net--0.20.4.sql": PG_NET_SQL },
  },
  supabase_vault: {
    control: control({
      comment: `Supabase Vault Extension (${EMULATED})`,
      default_version: "0.3.1",
      relocatable: false,
      schema: "vault",
      trusted: true,
    }),
    scripts: { "supabase_vault--0.3.1.sql": VAULT_SQL },
  },
};

/** Writes a file, replacing (never writing through) a symlink to the original installation. */
function writeOwn(file: string, content: string): void {
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, content, { mode: 0o644 });
}

/** The files of one extension, by name prefix (`pg_cron.control`, `pg_cron--*.sql`). */
function extensionFiles(extensionDir: string, name: string): string[] {
  return fs
    .readdirSync(extensionDir)
    .filter((f) => f === `${name}.control` || (f.startsWith(`${name}--`) && f.endsWith(".sql")));
}

/** Is the real pg_cron (control file and library) part of this installation? */
export function hasRealPgCron(extensionDir: string): boolean {
  const controlFile = path.join(extensionDir, "pg_cron.control");
  if (!fs.existsSync(controlFile)) return false;
  return !fs.readFileSync(controlFile, "utf8").includes(EMULATED);
}

/**
 * Installs the extensions into an extension folder that belongs to one server
 * (never the shared installation: see overlayInstall). `realCron`: keep the
 * installation's pg_cron (loaded through shared_preload_libraries) and only
 * make it creatable by `postgres`, as supautils does on Supabase.
 */
export function installExtensions(extensionDir: string, opts: { realCron: boolean }): void {
  for (const [name, files] of Object.entries(EMULATIONS)) {
    if (name === "pg_cron" && opts.realCron) {
      const controlFile = path.join(extensionDir, "pg_cron.control");
      const original = fs.readFileSync(controlFile, "utf8");
      const trusted = original.replace(/^\s*trusted\s*=.*$/m, "").trimEnd();
      writeOwn(controlFile, `${trusted}\n# ${EMULATED}: creatable by postgres, as supautils allows on Supabase\ntrusted = true\n`);
      continue;
    }
    // An installation's own files of the same name (a real pg_cron without
    // its library loaded, say) would shadow or mix with the emulation.
    for (const file of extensionFiles(extensionDir, name)) fs.rmSync(path.join(extensionDir, file), { force: true });
    writeOwn(path.join(extensionDir, `${name}.control`), files.control);
    for (const [file, sql] of Object.entries(files.scripts)) writeOwn(path.join(extensionDir, file), sql);
  }
}
