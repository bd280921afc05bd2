/**
 * The three trees of a 3-way update. "ours" and, when the project was made by
 * this very version, "base" are rendered in memory. The base of an older
 * version is what that version itself generates: its package (`--from
 * <tarball>`, else `npm pack create-video-backend@<version>` from the npm
 * cache/registry) is unpacked into a temp dir and its own CLI run with the
 * recorded options as flags and SOURCE_DATE_EPOCH = the recorded createdAt, so
 * every file (migration names included) matches what it wrote byte for byte.
 */
import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { CHOICES, formatList, isRelevant, type Options, SETTINGS, UsageError } from "../options.js";
import { buildContext, type RenderContext } from "../plan.js";
import type { RenderedFile } from "../renderer.js";
import type { Version } from "./files.js";
import type { Manifest } from "./manifest.js";
import { tmpDir } from "./delta.js";

export type Renderer = (ctx: RenderContext, base: Date) => RenderedFile[];

export function renderInMemory(
  render: Renderer,
  projectName: string,
  options: Options,
  version: string,
  createdAt: string,
): RenderedFile[] {
  const when = new Date(createdAt);
  return render(buildContext(projectName, options, { name: "create-video-backend", version }, when), when);
}

export function toTree(files: Array<{ path: string; content: string; mode?: number }>): Map<string, Version> {
  return new Map(files.map((f) => [f.path, { content: f.content, ...(f.mode ? { mode: f.mode } : {}) }]));
}

/** The flags an older CLI takes for these options (only the ones it knows, as its reproduce command would). */
export function optionFlags(recorded: Record<string, unknown>, options: Options): string[] {
  const flags: string[] = [];
  for (const c of CHOICES) if (c.key in recorded) flags.push(`--${c.flag}`, formatList(c, options[c.key]));
  for (const s of SETTINGS) {
    if (!(s.key in recorded) || !isRelevant(s, options)) continue;
    flags.push(`--${s.flag}`, String(options[s.key]));
  }
  return flags;
}

/** Renders the project as `manifest.version` generated it, by running that version. */
export async function renderOlderVersion(
  manifest: Manifest,
  options: Options,
  projectName: string,
  opts: { from?: string; log: (line: string) => void },
): Promise<Map<string, Version>> {
  const work = tmpDir("cvb-base-");
  try {
    const tarball = opts.from ? path.resolve(opts.from) : await npmPack(manifest.version, work, opts.log);
    if (!fs.existsSync(tarball)) throw new UsageError(`--from ${opts.from}: no such file.`);
    const unpacked = path.join(work, "pkg");
    fs.mkdirSync(unpacked);
    await execa("tar", ["-xzf", tarball, "-C", unpacked], { stdin: "ignore" });
    const pkgDir = path.join(unpacked, "package");
    const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { name?: string; version?: string };
    if (pkg.name !== "create-video-backend" || pkg.version !== manifest.version) {
      throw new UsageError(
        `${tarball} is ${pkg.name}@${pkg.version}, but the project was made by create-video-backend@${manifest.version}: pass that version's package to --from.`,
      );
    }
    const out = path.join(work, "out");
    fs.mkdirSync(out);
    const epoch = String(Math.floor(Date.parse(manifest.createdAt) / 1000));
    const r = await execa(
      process.execPath,
      [path.join(pkgDir, "bin", "create-video-backend.js"), projectName, "--yes", "--no-git", "--no-install", ...optionFlags(manifest.options, options)],
      { cwd: out, reject: false, all: true, stdin: "ignore", env: { SOURCE_DATE_EPOCH: epoch, CI: "1" } },
    );
    if (r.exitCode !== 0) {
      throw new Error(`create-video-backend@${manifest.version} could not re-render the project: ${(r.all ?? "").slice(0, 600)}`);
    }
    return readTree(path.join(out, projectName));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function npmPack(version: string, dir: string, log: (line: string) => void): Promise<string> {
  log(`Fetching create-video-backend@${version} (npm pack) to know what it generated`);
  const r = await execa("npm", ["pack", `create-video-backend@${version}`, "--pack-destination", dir, "--silent"], {
    reject: false,
    all: true,
    stdin: "ignore",
  });
  const name = r.stdout.trim().split("\n").pop() ?? "";
  const file = path.join(dir, name);
  if (r.exitCode !== 0 || !name || !fs.existsSync(file)) {
    throw Object.assign(
      new Error(
        `Could not get create-video-backend@${version} from npm (${(r.all ?? "").split("\n").slice(-2).join(" ")}). Download its package (npm pack create-video-backend@${version}) and pass it: --from create-video-backend-${version}.tgz`,
      ),
      { exitCode: 1 },
    );
  }
  return file;
}

/** A file on disk as a Version: its text, and its mode when executable. */
function versionOf(full: string): Version {
  const mode = fs.statSync(full).mode & 0o777;
  return { content: fs.readFileSync(full, "utf8"), ...(mode & 0o111 ? { mode } : {}) };
}

/** Every file under dir (dotfiles included, node_modules and .git excluded), with its executable bit. */
export function readTree(dir: string, only?: (rel: string) => boolean): Map<string, Version> {
  const tree = new Map<string, Version>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === ".git") continue;
      const full = path.join(d, entry.name);
      const rel = path.relative(dir, full).split(path.sep).join("/");
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && (!only || only(rel))) tree.set(rel, versionOf(full));
    }
  };
  walk(dir);
  return tree;
}

/** The user's versions of exactly these paths (missing ones absent). */
export function readPaths(dir: string, paths: Iterable<string>): Map<string, Version> {
  const tree = new Map<string, Version>();
  for (const rel of paths) {
    const full = path.join(dir, ...rel.split("/"));
    if (!fs.existsSync(full) || !fs.statSync(full).isFile()) continue;
    tree.set(rel, versionOf(full));
  }
  return tree;
}
