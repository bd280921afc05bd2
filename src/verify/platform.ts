/**
 * Fresh databases with the Supabase platform emulated (platform-sql.ts), and
 * small connection helpers. Re-exported by postgres.ts, the stable entry point.
 */
import crypto from "node:crypto";
import pg from "pg";
import { databaseSql, quoteIdent, ROLES_SQL, type Regime } from "./platform-sql.js";

export interface PlatformDatabase {
  /** As role `postgres` (what Supabase migrations run as), `?sslmode=disable`. */
  postgresUrl: string;
  /** The same database as the superuser. */
  superuserUrl: string;
  database: string;
}

/**
 * Creates a fresh database and loads the Supabase platform emulation into it.
 * `regime` "legacy": new objects in public are granted to anon/authenticated/
 * service_role by default; "2026": those default grants revoked.
 */
export async function preparePlatform(
  superuserUrl: string,
  opts: { regime: Regime; database?: string },
): Promise<PlatformDatabase> {
  const database = opts.database ?? `verify_${opts.regime}_${crypto.randomBytes(4).toString("hex")}`;
  // The postgres role logs in with its own password. Roles are cluster-wide, so
  // the password is derived from the superuser's: every database prepared on
  // the same server gets the same, still valid, postgres URL.
  const password = crypto
    .createHash("sha256")
    .update(`postgres:${decodeURIComponent(new URL(superuserUrl).password)}`)
    .digest("base64url")
    .slice(0, 24);
  const postgresPassword = await withClient(superuserUrl, async (c) => {
    // Role DDL from concurrent callers on one server collides ("tuple
    // concurrently updated"): serialise it with a transaction-scoped lock.
    await c.query("begin");
    await c.query("select pg_advisory_xact_lock(hashtext('create-video-backend platform roles'))");
    await c.query(ROLES_SQL);
    const me = (await c.query<{ u: string }>("select current_user as u")).rows[0]?.u;
    // An existing server whose superuser is postgres: keep its login.
    if (me !== "postgres") await c.query(`alter role postgres password '${password}'`);
    await c.query("commit");
    await c.query(`create database ${quoteIdent(database)}`);
    return me === "postgres" ? undefined : password;
  });
  const dbSuperuserUrl = withDatabase(superuserUrl, database);
  await withClient(dbSuperuserUrl, (c) => c.query(databaseSql(opts.regime, database)));

  const u = new URL(dbSuperuserUrl);
  if (postgresPassword !== undefined) {
    u.username = "postgres";
    u.password = postgresPassword;
  }
  u.searchParams.set("sslmode", "disable");
  return { postgresUrl: u.toString(), superuserUrl: dbSuperuserUrl, database };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  if (!u.searchParams.has("sslmode")) u.searchParams.set("sslmode", "disable");
  return u.toString();
}

/** Drops a database made by preparePlatform (for long-lived servers). */
export async function dropDatabase(superuserUrl: string, database: string): Promise<void> {
  await withClient(withDatabase(superuserUrl, "postgres"), (c) =>
    c.query(`drop database if exists ${quoteIdent(database)} with (force)`),
  );
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: stripSslMode(url) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** node-postgres treats `sslmode=disable` fine, but strip it so no version reads it as "prefer". */
function stripSslMode(url: string): string {
  const u = new URL(url);
  u.searchParams.delete("sslmode");
  return u.toString();
}
