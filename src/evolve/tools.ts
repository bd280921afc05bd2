/**
 * The native/CLI tools add, upgrade and verify's "fresh" check need, found the
 * way verify finds its own: the project's node_modules first (new projects pin
 * @pgkit/migra and @postgrestools/postgrestools in package.json; upgrading an
 * older one adds them there), then next to create-video-backend itself. When
 * neither has one (a 0.1.0 project before its first install), the pinned
 * version is installed once into a cache (~/.cache/create-video-backend/tools,
 * or $CVB_TOOLS_CACHE), saying so.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { TOOLS } from "../tools.js";
import { findBin } from "../verify/project.js";

const PACKAGES = {
  migra: { pkg: "@pgkit/migra", version: TOOLS.migra },
  postgrestools: { pkg: "@postgrestools/postgrestools", version: TOOLS.postgrestools },
} as const;

export type ToolName = keyof typeof PACKAGES;

export function toolsCache(env = process.env): string {
  return env.CVB_TOOLS_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "create-video-backend", "tools");
}

export async function ensureTool(name: ToolName, projectDir: string, log: (line: string) => void): Promise<string> {
  const found = findBin(name, projectDir);
  if (found) return found;
  const { pkg, version } = PACKAGES[name];
  const prefix = path.join(toolsCache(), `${name}-${version}`);
  const bin = path.join(prefix, "node_modules", ".bin", name);
  if (fs.existsSync(bin)) return bin;
  log(`Installing ${pkg}@${version} into ${prefix} (not in this project's node_modules; npm install adds it)`);
  fs.mkdirSync(prefix, { recursive: true });
  const r = await execa("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", prefix, `${pkg}@${version}`], {
    reject: false,
    all: true,
    stdin: "ignore",
  });
  if (r.exitCode !== 0 || !fs.existsSync(bin)) {
    throw Object.assign(
      new Error(`Could not install ${pkg}@${version} (${(r.all ?? "").split("\n").slice(-3).join(" ")}). Install it in the project (npm install -D ${pkg}@${version}) and run again.`),
      { exitCode: 1 },
    );
  }
  return bin;
}
