/**
 * What a new user meets in the first minute, without a terminal: suggestions
 * for typos, settings that do not apply, the package manager in the reproduce
 * command, directories that are as good as empty, write errors, Ctrl+C during
 * the install, a project made inside a git clone, and installing the package.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import validateName from "validate-npm-package-name";
import { describe, expect, it } from "vitest";
import { BIN, FAST, fakeCommand, ROOT, runCli, tempCwd, treeHash } from "./helpers.js";

const MINIMAL = ["--auth", "apple", "--iap", "none", "--providers", "fal", "--monitoring", "none"];

function readJson(file: string) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

describe("typos get a suggestion (exit 2, nothing written)", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["a flag missing its s", ["app", "--yes", "--provider", "fal"], /Unknown option '--provider'\. Did you mean --providers\?/],
    ["a misspelt flag", ["app", "--yes", "--monitring", "none"], /Did you mean --monitoring\?/],
    ["--flag=value", ["app", "--yes", "--bundleid=com.a.b"], /Did you mean --bundle-id\?/],
    ["a misspelt value", ["app", "--yes", "--providers", "fal,runaway"], /unknown value "runaway"\. Did you mean "runway"\?/],
    ["a misspelt store", ["app", "--yes", "--iap", "googel"], /Did you mean "google"\?/],
    ["a misspelt package manager", ["app", "--yes", "--pm", "pnmp"], /Did you mean pnpm\?/],
    ["a misspelt command", ["verfy", "app"], /Did you mean verify\?/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const cwd = tempCwd();
      const r = await runCli([...args, ...FAST], { cwd });
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(fs.readdirSync(cwd)).toEqual([]);
    });
  }

  it("nothing close, no guess", async () => {
    const r = await runCli(["app", "--yes", "--colour", ...FAST], { cwd: tempCwd() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).not.toContain("Did you mean");
    const v = await runCli(["app", "--yes", "--providers", "sora", ...FAST], { cwd: tempCwd() });
    expect(v.stderr).not.toContain("Did you mean");
  });

  for (const bad of ["node_modules", "favicon.ico", "a".repeat(220), "Über App"]) {
    it(`the suggested name for ${bad.length > 20 ? `a ${bad.length}-character name` : bad} is valid and differs`, async () => {
      const cwd = tempCwd();
      const r = await runCli([bad, "--yes", ...FAST], { cwd });
      expect(r.exitCode, r.stderr).toBe(2);
      const suggestion = /e\.g\. (\S+)\.$/m.exec(r.stderr)?.[1];
      expect(suggestion, r.stderr).toBeDefined();
      expect(suggestion).not.toBe(bad);
      expect(validateName(suggestion!).validForNewPackages, suggestion).toBe(true);
      expect(fs.readdirSync(cwd)).toEqual([]);
    });
  }
});

describe("a setting given where it does nothing is a usage error naming the fix", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["--trial-credits without devicecheck", ["--auth", "apple,anonymous", "--trial-credits", "5"],
      /--trial-credits applies only with --auth devicecheck.*Add devicecheck to --auth, or drop --trial-credits/],
    ["--android-package without Google Play", ["--iap", "apple", "--android-package", "com.acme.android"],
      /--android-package applies only with --iap google.*Add google to --iap, or drop --android-package/],
    ["--bundle-id with neither Apple sign-in nor the App Store", ["--auth", "anonymous", "--iap", "google", "--bundle-id", "com.acme.app"],
      /--bundle-id applies only with --auth apple or --iap apple/],
  ];
  for (const [name, flags, message] of cases) {
    it(name, async () => {
      const cwd = tempCwd();
      const r = await runCli(["app", "--yes", ...flags, ...FAST], { cwd });
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(fs.readdirSync(cwd)).toEqual([]);
    });
  }

  it("the same settings with their choice are accepted and recorded", async () => {
    const cwd = tempCwd();
    const r = await runCli(
      ["app", "--yes", "--iap", "google", "--android-package", "com.acme.android", "--trial-credits", "5", ...FAST],
      { cwd },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const m = readJson(path.join(cwd, "app/video-backend.json"));
    expect(m.options).toMatchObject({ trialCredits: 5, androidPackage: "com.acme.android" });
    expect(m.reproduce).toContain("--trial-credits 5");
    expect(m.reproduce).toContain("--android-package com.acme.android");
  });
});

describe("the reproduce command uses the package manager in use", () => {
  const launchers: Array<[string, string]> = [
    ["pnpm/10.4.0 npm/? node/v20.19.0 linux x64", "pnpm create video-backend app --auth"],
    ["yarn/1.22.22 npm/? node/v20.19.0 linux x64", "yarn create video-backend app --auth"],
    ["bun/1.2.0 npm/? node/v20.19.0 linux x64", "bun create video-backend app --auth"],
    ["npm/11.0.0 node/v20.19.0 linux x64", "npm create video-backend@latest app -- --auth"],
  ];
  for (const [agent, expected] of launchers) {
    it(agent.split("/")[0]!, async () => {
      const cwd = tempCwd();
      const r = await runCli(["app", "--yes", ...FAST], { cwd, env: { npm_config_user_agent: agent } });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain(expected);
      expect(readJson(path.join(cwd, "app/video-backend.json")).reproduce.startsWith(expected)).toBe(true);
      const readme = fs.readFileSync(path.join(cwd, "app/README.md"), "utf8");
      expect(readme.slice(readme.indexOf("## Recreate"))).toContain(expected);
    });
  }

  it("--pm decides it too", async () => {
    const cwd = tempCwd();
    const r = await runCli(["app", "--yes", "--pm", "pnpm", ...FAST], { cwd });
    expect(readJson(path.join(cwd, "app/video-backend.json")).reproduce).toMatch(/^pnpm create video-backend app --auth/);
    expect(r.stdout).toContain("pnpm create video-backend app");
  });
});

describe("a directory holding only .git, .DS_Store or Thumbs.db counts as empty", () => {
  it("the project is written beside them, which are left alone", async () => {
    const cwd = tempCwd();
    const dir = path.join(cwd, "app");
    fs.mkdirSync(dir);
    await execa("git", ["init", "--quiet"], { cwd: dir });
    fs.writeFileSync(path.join(dir, ".DS_Store"), "finder");
    fs.writeFileSync(path.join(dir, "Thumbs.db"), "explorer");
    const before = treeHash(dir);
    const r = await runCli(["app", "--yes", ...FAST], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, "video-backend.json"))).toBe(true);
    const after = treeHash(dir);
    for (const [file, hash] of Object.entries(before)) expect(after[file], file).toBe(hash);
    expect(fs.readdirSync(cwd)).toEqual(["app"]);
  });

  it("one other file still makes it not empty", async () => {
    const cwd = tempCwd();
    fs.mkdirSync(path.join(cwd, "app/.git"), { recursive: true });
    fs.writeFileSync(path.join(cwd, "app/notes.txt"), "mine");
    const r = await runCli(["app", "--yes", ...FAST], { cwd });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/app is not empty \(notes\.txt\)/);
  });
});

/** Runs the CLI as an unprivileged user when we are root (root ignores permissions). */
function asUnprivileged(args: string[], cwd: string) {
  const root = process.getuid?.() === 0;
  const command = root ? "setpriv" : process.execPath;
  const argv = root ? ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, BIN, ...args] : [BIN, ...args];
  return spawnSync(command, argv, { cwd, encoding: "utf8", env: { ...process.env, npm_config_user_agent: "" } });
}

/** Whether this machine lets us mount a scratch tmpfs in a private mount namespace (root with CAP_SYS_ADMIN). */
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = spawnSync("unshare", ["-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt && umount /mnt"], { encoding: "utf8" });
  return probe.status === 0;
})();

/** Runs the CLI inside a fresh tmpfs mounted with `options` (private to the command). */
function onTmpfs(options: string, args: string[]) {
  const mnt = tempCwd("cvb-mnt-");
  const script = `mount -t tmpfs -o ${options} tmpfs "$1" && cd "$1" && shift && "$@"; code=$?; ls -A; exit $code`;
  return spawnSync("unshare", ["-m", "sh", "-c", script, "sh", mnt, process.execPath, BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, npm_config_user_agent: "" },
  });
}

describe("write errors: one line naming the target and the fix, exit 1, nothing left behind", () => {
  function expectOneLine(stderr: string, pattern: RegExp) {
    const lines = stderr.trim().split("\n");
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(stderr).not.toMatch(/\n\s+at |\.creating-/);
  }

  it("EACCES (a directory the user cannot write)", () => {
    const cwd = tempCwd();
    const locked = path.join(cwd, "locked");
    fs.mkdirSync(locked, { mode: 0o755 });
    fs.chmodSync(cwd, 0o755);
    if (process.getuid?.() !== 0) fs.chmodSync(locked, 0o555);
    const r = asUnprivileged(["app", "--yes", ...FAST], locked);
    expect(r.status, r.stderr).toBe(1);
    expectOneLine(r.stderr, /^Error: Cannot write app: permission denied \(EACCES\)\. Choose a directory you can write to, or fix its permissions\. Nothing was written\.$/);
    expect(fs.readdirSync(locked)).toEqual([]);
  });

  it.skipIf(!canMount)("ENOSPC (a full disk)", () => {
    const r = onTmpfs("size=64k", ["app", "--yes", ...FAST]);
    expect(r.status, r.stderr).toBe(1);
    expectOneLine(r.stderr, /^Error: Cannot write app: no space left on the device \(ENOSPC\)\. Free some space/);
    // `ls -A` of the disk after the run: nothing left behind.
    expect(r.stdout.trim().split("\n").at(-1)).toMatch(/^• Writing \d+ files to app$/);
  });

  it.skipIf(!canMount)("EROFS (a read-only file system)", () => {
    const r = onTmpfs("size=1m,ro", ["app", "--yes", ...FAST]);
    expect(r.status, r.stderr).toBe(1);
    expectOneLine(r.stderr, /^Error: Cannot write app: the file system is read-only \(EROFS\)\. Choose a directory on a writable disk/);
  });
});

describe("Ctrl+C (SIGINT) during the install", () => {
  it("exits 130, keeps the project and prints the command that finishes", async () => {
    const cwd = tempCwd();
    const started = path.join(cwd, "install-started");
    const bin = fakeCommand("npm", `touch ${started}; exec sleep 30`);
    const child = execa("node", [BIN, "app", "--yes", "--no-git", ...MINIMAL], {
      cwd,
      reject: false,
      env: { npm_config_user_agent: "", PATH: `${bin}:${process.env.PATH}` },
    });
    while (!fs.existsSync(started)) await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toMatch(/Stopped during npm install: the project is complete in app\. To finish, run:\n {2}cd app && npm install/);
    expect(r.stdout).not.toContain("Created app");
    expect(fs.existsSync(path.join(cwd, "app/video-backend.json"))).toBe(true);
  });
});

describe("inside a git clone", () => {
  const identity = {
    GIT_AUTHOR_NAME: "Test",
    GIT_AUTHOR_EMAIL: "test@example.com",
    GIT_COMMITTER_NAME: "Test",
    GIT_COMMITTER_EMAIL: "test@example.com",
  };

  async function clone() {
    const repo = tempCwd("cvb-clone-");
    await execa("git", ["init", "--quiet"], { cwd: repo });
    fs.writeFileSync(path.join(repo, ".gitignore"), ".tmp/\n");
    return repo;
  }

  it("a target the clone ignores (README's .tmp/my-app) gets its own history and leaves the clone clean", async () => {
    const repo = await clone();
    const r = await runCli([".tmp/my-app", "--yes", "--no-install"], { cwd: repo, env: identity });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("Warning");
    const outer = await execa("git", ["status", "--porcelain"], { cwd: repo });
    expect(outer.stdout).toBe("?? .gitignore");
    const log = await execa("git", ["log", "--oneline"], { cwd: path.join(repo, ".tmp/my-app") });
    expect(log.stdout).toContain("Initial commit from create-video-backend");
  });

  it("a target the clone tracks is left for the clone's owner to commit, with a warning", async () => {
    const repo = await clone();
    const r = await runCli(["my-app", "--yes", "--no-install"], { cwd: repo, env: identity });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/inside the git repository .*left for you to commit there/);
    expect(fs.existsSync(path.join(repo, "my-app/.git"))).toBe(false);
  });

  it("the repository's own .gitignore keeps the README's example out of git", () => {
    const ignore = spawnSync("git", ["check-ignore", "-q", ".tmp/my-app"], { cwd: ROOT });
    expect(ignore.status).toBe(0);
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).toContain("npx create-video-backend .tmp/my-app --yes");
  });
});

describe("installing the package", () => {
  it("packs without install-time lifecycle scripts, so npm 11 installs it without a warning", async () => {
    const pkg = readJson(path.join(ROOT, "package.json"));
    for (const script of ["preinstall", "install", "postinstall", "prepare"]) {
      expect(pkg.scripts?.[script], script).toBeUndefined();
    }
    const work = tempCwd("cvb-pack-");
    // --ignore-scripts: dist/ is already built (npm test builds it); packing must not rebuild it under other tests.
    const packed = await execa("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: ROOT });
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
    const project = path.join(work, "project");
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, "package.json"), '{"name":"consumer","version":"1.0.0","private":true}\n');
    const install = await execa(
      "npm",
      ["install", "--no-audit", "--no-fund", "--offline", "-D", path.join(work, info!.filename)],
      { cwd: project, all: true, reject: false, env: { npm_config_cache: path.join(work, "cache") } },
    );
    expect(install.exitCode, install.all).toBe(0);
    expect(install.all).not.toMatch(/install-scripts|lifecycle|allowScripts/i);
    const help = await execa("node", [path.join(project, "node_modules/.bin/create-video-backend"), "--version"]);
    expect(help.stdout.trim()).toBe(pkg.version);
  });
});
