/**
 * Loads the generation engine the build wrote next to the CLI
 * (engine-build.ts): `engine.js`, engine.ts bundled as a CommonJS function
 * with the templates inside, compiled with a V8 code cache of its own.
 *
 * Why: generating a project used to spend a third of its time compiling,
 * the ~1.2 MB of precompiled templates and the ~150 KB of code that renders
 * and writes them (each function once when loaded and again on its first
 * call). Node 20 cannot give an ES module a code cache; a `vm.Script` takes
 * one. As Node's own compile cache does (module.enableCompileCache, Node 22),
 * the first run compiles the engine and saves V8's cache of what it ran in a
 * directory of the OS temp dir; later runs on the same Node load that cache
 * and compile almost nothing. A cache that does not fit (another build,
 * another V8, other V8 flags, a damaged file) is not used and is replaced.
 *
 * The cache lives in `$CVB_COMPILE_CACHE`, else the user's cache directory
 * (`$XDG_CACHE_HOME/create-video-backend/compile`, else
 * `~/.cache/create-video-backend/compile`, beside the verify tools' cache);
 * `NODE_DISABLE_COMPILE_CACHE=1` (Node's own switch) turns it off. Failing to
 * read or write it never fails a command.
 *
 * V8 runs what a code cache holds without checking it, so a cache file is
 * code: one that another user could have written is never read. On POSIX
 * systems the directory and the file must belong to the current user and be
 * writable by nobody else (the checks engine-load's tests attack), and the
 * directory is created private (0700). That is also why the default is not
 * the shared temp directory.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

/** What engine.ts exports. */
export type Engine = typeof import("./engine.js");

export const ENGINE_SCRIPT = "engine.js";

/** The script's last line: which build made it (a hash of the script). */
export const BUILD_KEY_PREFIX = "//# cvb-engine ";

/**
 * `used`: V8 took the saved cache. `rejected`: V8 refused it (other V8 flags,
 * a damaged file). `none`: there was none for this build and V8 version, or
 * caching is off. `untrusted`: the directory or the file could have been
 * written by another user, so it was neither read nor replaced.
 */
export type CacheUse = "used" | "rejected" | "none" | "untrusted";

/** The build key a script ends with (its last line), or undefined. */
export function buildKeyOf(script: string): string | undefined {
  const line = script.slice(script.lastIndexOf(BUILD_KEY_PREFIX));
  return line.startsWith(BUILD_KEY_PREFIX) ? line.slice(BUILD_KEY_PREFIX.length).trim() : undefined;
}

/** Where compile caches are kept, or undefined when caching is off. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  if (env.CVB_COMPILE_CACHE) return env.CVB_COMPILE_CACHE;
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "create-video-backend", "compile");
}

/**
 * Whether a path that exists could only have been written by this user: it
 * is owned by them and not writable by group or others (POSIX; elsewhere,
 * where there is no uid, the user's own profile directory is trusted).
 */
function privateTo(user: number | undefined, stat: fs.Stats): boolean {
  return user === undefined || (stat.uid === user && (stat.mode & 0o022) === 0);
}

/** "trusted", "missing" (the directory does not exist yet) or "untrusted". */
function trustOf(dir: string, file: string): "trusted" | "missing" | "untrusted" {
  const user = process.getuid?.();
  let dirStat: fs.Stats;
  try {
    dirStat = fs.lstatSync(dir);
  } catch {
    return "missing";
  }
  if (!dirStat.isDirectory() || !privateTo(user, dirStat)) return "untrusted";
  try {
    const fileStat = fs.lstatSync(file);
    return fileStat.isFile() && privateTo(user, fileStat) ? "trusted" : "untrusted";
  } catch {
    return "trusted";
  }
}

/**
 * The cache file for this script and this V8. V8 itself only checks a
 * cache's source length, so a cache of another build of the same length
 * would be taken: the build key in the name rules that out.
 */
export function cacheFile(dir: string, script: string): string | undefined {
  const key = buildKeyOf(script);
  return key === undefined ? undefined : path.join(dir, `engine-${key}-v8-${process.versions.v8}.cache`);
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Saves V8's cache of what this process compiled of the script, replacing
 * any cache of another build or V8 in the directory. Written to a temporary
 * name and renamed, so a concurrent run reads a whole file or none (a
 * concurrent save may lose its temporary file to this clean-up: it then
 * saves nothing, which is harmless).
 */
function saveCache(script: vm.Script, file: string): void {
  try {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const old of fs.readdirSync(dir)) {
      if (old.startsWith("engine-") && path.join(dir, old) !== file) fs.rmSync(path.join(dir, old), { force: true });
    }
    const partial = `${file}.${process.pid}.partial`;
    // Private whatever the umask: a cache others could write would never be read again (trustOf).
    fs.writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(partial, file);
  } catch {
    // A cache is an optimisation: a read-only or full cache directory only costs speed.
  }
}

type CommonJsFunction = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

export interface LoadedEngine {
  engine: Engine;
  cache: CacheUse;
  /** Saves the compile cache when there was no usable one: call it once the run has done its work. */
  saveCache(): void;
}

/** Loads the engine in `dir` (a directory URL ending in `/`), with its compile cache when it fits. */
export function loadEngine(dir: URL, env: NodeJS.ProcessEnv = process.env): LoadedEngine {
  const file = new URL(ENGINE_SCRIPT, dir);
  const filename = fileURLToPath(file);
  // The build writes it in ASCII only, so latin1 reads it exactly, with no UTF-8 decoding.
  const source = fs.readFileSync(file, "latin1");
  const cacheDirectory = cacheDir(env);
  const cachePath = cacheDirectory === undefined ? undefined : cacheFile(cacheDirectory, source);
  const trust = cachePath === undefined ? "missing" : trustOf(path.dirname(cachePath), cachePath);
  const cachedData = cachePath !== undefined && trust === "trusted" ? readIfPresent(cachePath) : undefined;
  // No import() in here: a script compiled from a code cache has no dynamic-import callback on
  // Node 20, so what the engine loads lazily (git and the install) the CLI hands it (create.ts).
  const script = new vm.Script(source, { filename, cachedData });
  const cache: CacheUse = trust === "untrusted" ? "untrusted" : !cachedData ? "none" : script.cachedDataRejected ? "rejected" : "used";
  const module = { exports: {} };
  (script.runInThisContext() as CommonJsFunction)(module.exports, createRequire(file), module, filename, path.dirname(filename));
  let saved = false;
  return {
    engine: module.exports as Engine,
    cache,
    saveCache() {
      if (saved || cache === "used" || cache === "untrusted" || cachePath === undefined) return;
      saved = true;
      saveCache(script, cachePath);
    },
  };
}

const loaded = new Map<string, LoadedEngine>();

/** The engine in `dir` (by default beside this module: the CLI's dist/), loaded once per process. */
export function engine(dir: URL = new URL("./", import.meta.url)): LoadedEngine {
  let e = loaded.get(dir.href);
  if (!e) {
    e = loadEngine(dir);
    loaded.set(dir.href, e);
  }
  return e;
}
