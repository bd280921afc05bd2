/** What verify reads from a generated project, and where its tools are. */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";

export interface ProjectLayout {
  dir: string;
  supabaseDir: string;
  pgMajor: 15 | 17;
  migrations: string[];
  /** pgTAP files, relative to supabase/tests, in the order they run. */
  tests: string[];
  functionsDir?: string;
}

export function readProject(dir: string): ProjectLayout {
  const supabaseDir = path.join(dir, "supabase");
  const configPath = path.join(supabaseDir, "config.toml");
  if (!fs.existsSync(configPath)) {
    throw new Error(`${configPath} not found: is ${dir} a generated project? (verify runs in the project root)`);
  }
  let config: Record<string, unknown>;
  try {
    config = parse(fs.readFileSync(configPath, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`supabase/config.toml is not valid TOML: ${(err as Error).message}`);
  }
  const db = (config.db ?? {}) as Record<string, unknown>;
  const major = db.major_version ?? 17;
  if (major !== 15 && major !== 17) {
    throw new Error(`supabase/config.toml [db] major_version = ${String(major)}: verify supports 15 and 17`);
  }
  const migrationsDir = path.join(supabaseDir, "migrations");
  const migrations = fs.existsSync(migrationsDir)
    ? fs.readdirSync(migrationsDir).filter((f) => f.endsWith(".sql")).sort()
    : [];
  const testsDir = path.join(supabaseDir, "tests");
  const tests = fs.existsSync(testsDir)
    ? walk(testsDir).filter((f) => /\.(sql|pg)$/.test(f)).sort()
    : [];
  const functionsDir = path.join(supabaseDir, "functions");
  return {
    dir,
    supabaseDir,
    pgMajor: major,
    migrations,
    tests,
    ...(fs.existsSync(functionsDir) ? { functionsDir } : {}),
  };
}

/** Files under `dir`, relative, with forward slashes. */
export function walk(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full, base));
    else out.push(path.relative(base, full).split(path.sep).join("/"));
  }
  return out;
}

/**
 * A tool installed from npm: the project's own node_modules first (the version
 * it pinned), then the one next to create-video-backend itself.
 */
export function findBin(name: string, projectDir: string): string | undefined {
  const starts = [path.resolve(projectDir), path.dirname(fileURLToPath(import.meta.url))];
  for (const start of starts) {
    for (let d = start; ; d = path.dirname(d)) {
      const candidate = path.join(d, "node_modules", ".bin", name);
      if (fs.existsSync(candidate)) return candidate;
      if (path.dirname(d) === d) break;
    }
  }
  return undefined;
}
