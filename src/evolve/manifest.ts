/**
 * `video-backend.json`: how a project was generated, and (from 0.2.0) what
 * the generator wrote, so that `add` and `upgrade` can tell a file the user
 * never touched from one they changed.
 *
 * The format only grows (additive): 0.1.0 wrote `generator`, `version`,
 * `createdAt`, `options`, `functions`, `reproduce`; 0.2.0 adds
 * - `files`: path → sha256 (hex) of the content the generator wrote, for every
 *   generated file except the manifest itself;
 * - `migrations`: the migration files the generator owns on disk (the ones it
 *   rendered at creation, plus every delta migration `add`/`upgrade` wrote).
 *   A migration file not listed is the user's own.
 * - `conflicts` (only while a merge left markers): the files to resolve.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../options.js";

export const MANIFEST = "video-backend.json";
export const MIGRATIONS_DIR = "supabase/migrations/";

export interface Manifest {
  $comment?: string;
  generator: string;
  version: string;
  createdAt: string;
  options: Record<string, unknown>;
  functions?: string[];
  reproduce?: string;
  files?: Record<string, string>;
  migrations?: string[];
  conflicts?: string[];
  [key: string]: unknown;
}

export function sha256(content: string | Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

export function isMigration(p: string): boolean {
  return p.startsWith(MIGRATIONS_DIR) && p.endsWith(".sql") && !p.slice(MIGRATIONS_DIR.length).includes("/");
}

/**
 * Adds `files` and `migrations` to a rendered manifest. `written` is every
 * generated file as it is on disk after this run (the manifest excluded).
 */
export function sealManifest(text: string, written: Array<{ path: string; content: string }>, extra: Partial<Manifest> = {}): string {
  const manifest = JSON.parse(text) as Manifest;
  const files: Record<string, string> = {};
  for (const f of [...written].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (f.path === MANIFEST) continue;
    files[f.path] = sha256(f.content);
  }
  const migrations = written.filter((f) => isMigration(f.path)).map((f) => f.path.slice(MIGRATIONS_DIR.length)).sort();
  const sealed: Manifest = { ...manifest, files, migrations, ...extra };
  if (sealed.conflicts && sealed.conflicts.length === 0) delete sealed.conflicts;
  return `${JSON.stringify(sealed, null, 2)}\n`;
}

/** Reads and checks the manifest; a missing or corrupt one is a usage error naming the fix. */
export function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(file)) {
    throw new UsageError(
      `${file} not found: add and upgrade work on a project made by create-video-backend, whose ${MANIFEST} records how it was generated. Run the command in the project root (or pass its directory); if the file was deleted, restore it from git.`,
    );
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
  } catch (error) {
    throw new UsageError(`${MANIFEST} is not valid JSON (${(error as Error).message}). Restore it from git (git checkout -- ${MANIFEST}).`);
  }
  const problems: string[] = [];
  if (manifest === null || typeof manifest !== "object") problems.push("not an object");
  else {
    if (manifest.generator !== "create-video-backend") problems.push(`"generator" is not create-video-backend`);
    if (typeof manifest.version !== "string" || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(manifest.version)) problems.push(`"version" is not a version`);
    if (typeof manifest.createdAt !== "string" || Number.isNaN(Date.parse(manifest.createdAt))) problems.push(`"createdAt" is not a date`);
    if (!manifest.options || typeof manifest.options !== "object") problems.push(`"options" is missing`);
    if (manifest.files !== undefined && (typeof manifest.files !== "object" || manifest.files === null)) problems.push(`"files" is not an object`);
    if (manifest.migrations !== undefined && !Array.isArray(manifest.migrations)) problems.push(`"migrations" is not a list`);
  }
  if (problems.length > 0) {
    throw new UsageError(`${MANIFEST} is corrupt (${problems.join("; ")}). Restore it from git (git checkout -- ${MANIFEST}).`);
  }
  return manifest;
}

/** The project name the generator used: from the recorded reproduce command, else the folder name. */
export function projectNameOf(manifest: Manifest, dir: string): string {
  const m = /video-backend(?:@\S+)?\s+(\S+)/.exec(manifest.reproduce ?? "");
  const name = m?.[1];
  return name && name !== "--" && !name.startsWith("-") ? name : path.basename(path.resolve(dir));
}
