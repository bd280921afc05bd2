/**
 * Loads what the build wrote next to the CLI for generating projects
 * (bundle-build.ts): `templates.js`, a script whose value is the template
 * bundle and the OpenAPI parts, and `templates.cache`, V8's code cache for it.
 *
 * Why a script and a cache rather than a module: the bundle is about a
 * megabyte of precompiled template functions, and compiling it, then each of
 * its functions on first call, was a third of the time a generation takes.
 * A module cannot be given a code cache on Node 20; a `vm.Script` can. With
 * the cache V8 skips both compilations. Without it (another Node version,
 * other V8 flags, a missing or foreign cache file) V8 compiles the script as
 * it would compile a module: slower, same result.
 */
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import type { OpenApiParts } from "./openapi-assemble.js";
import type { TemplateBundle } from "./renderer.js";
import { useCompiledGlobs } from "./team.js";

/** The script's value. */
export interface BuiltBundle {
  templates: TemplateBundle;
  openApi: OpenApiParts;
}

export const BUNDLE_SCRIPT = "templates.js";
export const BUNDLE_CACHE = "templates.cache";

/** The script's last line and the cache's first: which build made them. */
export const BUILD_KEY_PREFIX = "//# cvb-templates ";

/**
 * `used`: V8 took the cache. `rejected`: V8 refused it (other V8 flags).
 * `skipped`: no cache, or one of another build or V8 version (not offered to V8).
 */
export type CacheUse = "used" | "rejected" | "skipped";

/** The cache file's header: the build key and the V8 version that made it. */
export function cacheHeader(buildKey: string, v8Version: string): string {
  return `${BUILD_KEY_PREFIX}${buildKey} v8 ${v8Version}\n`;
}

/** The build key a script ends with (its last line), or undefined. */
export function buildKeyOf(script: string): string | undefined {
  const line = script.slice(script.lastIndexOf(BUILD_KEY_PREFIX));
  return line.startsWith(BUILD_KEY_PREFIX) ? line.slice(BUILD_KEY_PREFIX.length).trim() : undefined;
}

/**
 * The cached data in `cache` if it was made for this script (same build key)
 * by this V8. V8 itself only checks the source's length, so a cache of
 * another build of the same length would be taken: the key rules that out.
 */
function cachedDataFor(script: string, cache: Buffer | undefined): Buffer | undefined {
  const key = buildKeyOf(script);
  if (!cache || key === undefined) return undefined;
  const header = cacheHeader(key, process.versions.v8);
  return cache.subarray(0, header.length).toString("latin1") === header ? cache.subarray(header.length) : undefined;
}

function readIfPresent(file: URL): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Loads `templates.js` from `dir` (a directory URL ending in `/`), with its code cache when it fits. */
export function loadBuiltBundle(dir: URL): { bundle: BuiltBundle; cache: CacheUse } {
  const file = new URL(BUNDLE_SCRIPT, dir);
  // The build writes it in ASCII only, so latin1 reads it exactly, with no UTF-8 decoding.
  const source = fs.readFileSync(file, "latin1");
  const cachedData = cachedDataFor(source, readIfPresent(new URL(BUNDLE_CACHE, dir)));
  const script = new vm.Script(source, { filename: fileURLToPath(file), cachedData });
  const cache: CacheUse = !cachedData ? "skipped" : script.cachedDataRejected ? "rejected" : "used";
  return { bundle: script.runInThisContext() as BuiltBundle, cache };
}

const loaded = new Map<string, BuiltBundle>();

/** The bundle in `dir`, loaded once per process (the templates and the OpenAPI parts come from the same script). */
export function builtBundle(dir: URL): BuiltBundle {
  let bundle = loaded.get(dir.href);
  if (!bundle) {
    bundle = loadBuiltBundle(dir).bundle;
    loaded.set(dir.href, bundle);
    // The team's ownership globs, compiled at build time: team.ts has no compiler of its own.
    if (bundle.templates.globs) useCompiledGlobs(bundle.templates.globs);
  }
  return bundle;
}
