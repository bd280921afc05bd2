#!/usr/bin/env node
/**
 * Checks a packed tarball before it is published: the release workflow runs it
 * on the .tgz it is about to publish, and the unit tier runs it on a fresh
 * `npm pack` (tests/unit/release.test.ts), so both run this same code.
 *
 *   node scripts/check-release.mjs <package.tgz> [--tag v1.2.3] [--repository owner/name]
 *
 * --tag         the git tag being released (the workflow passes github.ref_name)
 * --repository  the GitHub repository that builds it (npm's provenance check
 *               rejects a package whose repository.url names another one)
 *
 * Prints one line per check and exits 1 if any failed. The bin is run only
 * when the static checks pass: a tarball that fails them is not executed.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** Everything the package may contain (paths inside the tarball, without `package/`). */
export const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^CHANGELOG\.md$/,
  /^bin\/create-video-backend\.js$/,
  /^dist\/[\w.-]+\.js$/,
  /^templates\/.+/,
];

/**
 * What it must contain to work. The templates are not listed: whether they
 * ship as files or inside dist/, generating a project from the unpacked copy
 * (below) proves they are there.
 */
export const REQUIRED = ["package.json", "README.md", "LICENSE", "CHANGELOG.md", "bin/create-video-backend.js", "dist/cli.js"];

/** Secrets and junk that must never ship, even inside templates/. */
const FORBIDDEN = [/(^|\/)\.env$/, /(^|\/)\.npmrc$/, /(^|\/)node_modules\//, /\.tgz$/, /\.map$/, /(^|\/)\.DS_Store$/];

/**
 * Size budget. 0.1.0 packs to about 330 kB (1.35 MB unpacked). Raise these
 * deliberately, in the commit that needs it, never to make a release pass.
 */
export const MAX_PACKED_BYTES = 768 * 1024;
export const MAX_UNPACKED_BYTES = 3 * 1024 * 1024;

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** Dated release headings, as src/changelog.ts parses them (a test holds the two together). */
export function changelogVersions(markdown) {
  const text = markdown.replace(/<!--[\s\S]*?-->/g, "");
  return [...text.matchAll(/^## \[([^\]]+)\] - (\d{4}-\d{2}-\d{2})(?: \[YANKED\])?\s*$/gm)].map((m) => m[1]);
}

function walk(dir, base = dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, base, out);
    else out.push({ path: path.relative(base, full).split(path.sep).join("/"), full, entry });
  }
  return out;
}

function run(cmd, args, cwd) {
  // A clean environment: no package manager hint, not CI, no npm settings from the caller.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return spawnSync(cmd, args, { cwd, env: { ...env, CI: "", NO_COLOR: "1" }, encoding: "utf8", timeout: 60_000 });
}

/**
 * Runs every check; returns [{ name, ok, detail }]. `tmp` is a scratch
 * directory the caller removes.
 */
export function checkRelease(tarball, { tag, repository, tmp }) {
  const results = [];
  const check = (name, ok, detail = "") => results.push({ name, ok: !!ok, detail });

  const packed = fs.statSync(tarball).size;
  const unpackDir = path.join(tmp, "unpacked");
  fs.mkdirSync(unpackDir, { recursive: true });
  execFileSync("tar", ["xzf", tarball, "-C", unpackDir]);
  const top = fs.readdirSync(unpackDir);
  check("everything is under package/", top.length === 1 && top[0] === "package", `top level: ${top.join(", ")}`);
  const root = path.join(unpackDir, "package");
  if (!fs.existsSync(path.join(root, "package.json"))) {
    check("package.json is present", false);
    return results;
  }

  const files = walk(root);
  const names = files.map((f) => f.path);
  const links = files.filter((f) => !f.entry.isFile()).map((f) => f.path);
  check("only regular files (no links or devices)", links.length === 0, links.join(", "));
  const unexpected = names.filter((n) => !ALLOWED.some((re) => re.test(n)) || FORBIDDEN.some((re) => re.test(n)));
  check("every file is on the allow-list", unexpected.length === 0, `not allowed: ${unexpected.join(", ")}`);
  const missing = REQUIRED.filter((n) => !names.includes(n));
  check("every required file is present", missing.length === 0, `missing: ${missing.join(", ")}`);

  const unpacked = files.reduce((sum, f) => sum + fs.statSync(f.full).size, 0);
  check(`packed size ${packed} B <= ${MAX_PACKED_BYTES} B`, packed <= MAX_PACKED_BYTES);
  check(`unpacked size ${unpacked} B <= ${MAX_UNPACKED_BYTES} B`, unpacked <= MAX_UNPACKED_BYTES);

  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  check("name is create-video-backend", pkg.name === "create-video-backend", `name: ${pkg.name}`);
  check("version is a semantic version", SEMVER.test(pkg.version ?? ""), `version: ${pkg.version}`);
  // Everything is bundled into dist/: a user's `npm create` installs nothing else.
  const depFields = ["dependencies", "optionalDependencies", "peerDependencies", "bundleDependencies", "bundledDependencies"];
  const present = depFields.filter((f) => pkg[f] !== undefined);
  check("no runtime dependencies", present.length === 0, `package.json has ${present.join(", ")}`);
  const installScripts = ["preinstall", "install", "postinstall"].filter((s) => pkg.scripts?.[s] !== undefined);
  check("no install scripts", installScripts.length === 0, `scripts: ${installScripts.join(", ")}`);
  const bins = Object.values(pkg.bin ?? {});
  const badBins = bins.filter((b) => !names.includes(path.posix.normalize(b)));
  check("every bin is in the tarball", bins.length > 0 && badBins.length === 0, `missing: ${badBins.join(", ") || "no bin"}`);
  if (tag !== undefined) check(`tag ${tag} is v + package.json's version`, tag === `v${pkg.version}`, `version: ${pkg.version}`);
  if (repository !== undefined) {
    // npm's provenance check compares this URL with the repository that built the package.
    const url = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
    const normal = String(url ?? "").replace(/^git\+/, "").replace(/\.git$/, "").replace(/^github:/, "https://github.com/");
    check(
      `repository.url is https://github.com/${repository}`,
      normal.toLowerCase() === `https://github.com/${repository}`.toLowerCase(),
      `repository.url: ${url ?? "(none)"}; npm publish --provenance rejects a mismatch`,
    );
  }
  const changelog = names.includes("CHANGELOG.md") ? fs.readFileSync(path.join(root, "CHANGELOG.md"), "utf8") : "";
  check(
    `CHANGELOG.md has a section for ${pkg.version}`,
    changelogVersions(changelog).includes(pkg.version),
    `add "## [${pkg.version}] - YYYY-MM-DD" (npm version does it from [Unreleased])`,
  );

  if (results.some((r) => !r.ok)) return results;

  // The bin from the unpacked copy alone: nothing above it has a node_modules.
  const bin = path.join(root, "bin/create-video-backend.js");
  const version = run("node", [bin, "--version"], tmp);
  check("--version prints the version", version.status === 0 && version.stdout.trim() === pkg.version, version.stdout + version.stderr);
  const help = run("node", [bin, "--help"], tmp);
  check("--help exits 0 and names the command", help.status === 0 && help.stdout.includes("create-video-backend"), help.stderr);
  const gen = run("node", [bin, "app", "--yes", "--no-git", "--no-install"], tmp);
  check("generates a project with --yes --no-git --no-install", gen.status === 0, (gen.stdout + gen.stderr).slice(-2000));
  if (gen.status === 0) {
    const app = path.join(tmp, "app");
    const manifest = JSON.parse(fs.readFileSync(path.join(app, "video-backend.json"), "utf8"));
    check(
      "video-backend.json records this generator and version",
      manifest.generator === pkg.name && manifest.version === pkg.version,
      `${manifest.generator}@${manifest.version}`,
    );
    const appPkg = JSON.parse(fs.readFileSync(path.join(app, "package.json"), "utf8"));
    const range = appPkg.devDependencies?.[pkg.name];
    check(`the project depends on ${pkg.name}@^${pkg.version}`, range === `^${pkg.version}`, `found ${range}`);
  }
  return results;
}

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { tag: { type: "string" }, repository: { type: "string" } },
  });
  if (positionals.length !== 1) {
    console.error("usage: node scripts/check-release.mjs <package.tgz> [--tag vX.Y.Z] [--repository owner/name]");
    return 2;
  }
  const tarball = path.resolve(positionals[0]);
  if (!fs.existsSync(tarball)) {
    console.error(`${tarball}: no such file`);
    return 2;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-release-check-"));
  try {
    const results = checkRelease(tarball, { tag: values.tag, repository: values.repository, tmp });
    for (const r of results) console.log(r.ok ? `ok    ${r.name}` : `FAIL  ${r.name}: ${r.detail}`);
    const failed = results.filter((r) => !r.ok).length;
    console.log(`release checks of ${path.basename(tarball)}: ${results.length - failed} ok, ${failed} failed`);
    return failed ? 1 : 0;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// Run as a script (not when a test imports the helpers above).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
