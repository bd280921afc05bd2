/**
 * End-to-end: the built CLI, spawned without a terminal, as CI and agents run it.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CHOICES, SETTINGS, SWITCHES } from "../../src/options.js";
import { FAST, ROOT, runCli, tempCwd, treeHash } from "./helpers.js";

function readJson(file: string) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

describe("--help and --version", () => {
  it("--version prints the package version", async () => {
    const r = await runCli(["--version"], { cwd: tempCwd() });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe(readJson(path.join(ROOT, "package.json")).version);
  });

  it("--help lists every flag of the registry", async () => {
    const r = await runCli(["--help"], { cwd: tempCwd() });
    expect(r.exitCode).toBe(0);
    for (const c of CHOICES) {
      expect(r.stdout).toContain(`--${c.flag}`);
      for (const v of c.values) expect(r.stdout).toContain(v.hint);
    }
    for (const s of SETTINGS) expect(r.stdout).toContain(`--${s.flag}`);
    for (const s of SWITCHES) expect(r.stdout).toContain(s.negatable ? `--no-${s.flag}` : `--${s.flag}`);
  });

  it("answer without loading prompts, templates or the verify engine", async () => {
    // A copy of the package that lacks everything --help and --version must not need.
    const copy = tempCwd("cvb-lean-");
    fs.cpSync(path.join(ROOT, "bin"), path.join(copy, "bin"), { recursive: true });
    fs.mkdirSync(path.join(copy, "dist"));
    const lazy = /^(engine\.js$|prompts-|verify-|steps-)/;
    for (const f of fs.readdirSync(path.join(ROOT, "dist"))) {
      if (!lazy.test(f)) fs.copyFileSync(path.join(ROOT, "dist", f), path.join(copy, "dist", f));
    }
    fs.writeFileSync(path.join(copy, "package.json"), '{"type":"module"}');
    const bin = path.join(copy, "bin/create-video-backend.js");
    const { execa } = await import("execa");
    const help = await execa("node", [bin, "--help"], { reject: false });
    const version = await execa("node", [bin, "--version"], { reject: false });
    expect(help.exitCode, help.stderr).toBe(0);
    expect(version.exitCode, version.stderr).toBe(0);
    // …and the copy really is incomplete: creating a project fails.
    const create = await execa("node", [bin, "x", "--yes", ...FAST], { reject: false, cwd: copy });
    expect(create.exitCode).not.toBe(0);
  });
});

describe("--yes", () => {
  it("writes the default project", async () => {
    const cwd = tempCwd();
    const r = await runCli(["my-app", "--yes", ...FAST], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    const manifest = readJson(path.join(cwd, "my-app/video-backend.json"));
    for (const c of CHOICES) expect(manifest.options[c.key]).toEqual(c.default);
    expect(manifest.options.trialCredits).toBe(10);
    expect(manifest.options.bundleId).toBe("com.example.videoapp");
    expect(manifest.options.pgMajor).toBe(17);
    expect(fs.readFileSync(path.join(cwd, "my-app/supabase/config.toml"), "utf8")).toContain("major_version = 17");
    expect(readJson(path.join(cwd, "my-app/package.json")).name).toBe("my-app");
    expect(fs.existsSync(path.join(cwd, "my-app/.git"))).toBe(false);
    expect(r.stdout).toContain("npm run verify");
  });

  it("without a directory uses my-video-backend", async () => {
    const cwd = tempCwd();
    const r = await runCli(["--yes", ...FAST], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(cwd, "my-video-backend/video-backend.json"))).toBe(true);
  });

  const variants: Array<[string, string[], (dir: string) => void]> = [
    ["--auth apple", ["--auth", "apple"], (d) => {
      const toml = fs.readFileSync(path.join(d, "supabase/config.toml"), "utf8");
      expect(toml).toContain("enable_anonymous_sign_ins = false");
      expect(fs.existsSync(path.join(d, "supabase/functions/device-check"))).toBe(false);
    }],
    ["--auth anonymous,devicecheck", ["--auth", "anonymous,devicecheck"], (d) => {
      const toml = fs.readFileSync(path.join(d, "supabase/config.toml"), "utf8");
      expect(toml).toContain("enable_anonymous_sign_ins = true");
      expect(toml).toMatch(/\[auth\.external\.apple\]\nenabled = false/);
      expect(fs.existsSync(path.join(d, "supabase/functions/device-check/index.ts"))).toBe(true);
    }],
    ["--iap none", ["--iap", "none"], (d) => {
      expect(readJson(path.join(d, "video-backend.json")).options.iap).toEqual([]);
      expect(fs.existsSync(path.join(d, "supabase/functions/verify-purchase"))).toBe(false);
    }],
    ["--iap google,revenuecat", ["--iap", "revenuecat,google"], (d) => {
      const m = readJson(path.join(d, "video-backend.json"));
      expect(m.options.iap).toEqual(["google", "revenuecat"]);
      expect(m.functions).toEqual(expect.arrayContaining(["google-notifications", "revenuecat-webhook", "verify-purchase"]));
      expect(m.functions).not.toContain("apple-notifications");
    }],
    ["--providers runway,replicate", ["--providers", "runway,replicate"], (d) => {
      const m = readJson(path.join(d, "video-backend.json"));
      expect(m.options.providers).toEqual(["runway", "replicate"]);
      expect(m.functions).toContain("replicate-webhook");
      expect(m.functions).not.toContain("fal-webhook");
    }],
    ["--monitoring none", ["--monitoring", "none"], (d) => {
      expect(readJson(path.join(d, "video-backend.json")).options.monitoring).toEqual([]);
      expect(fs.readFileSync(path.join(d, ".env.example"), "utf8")).not.toContain("SENTRY_DSN");
    }],
    ["--trial-credits 250", ["--trial-credits", "250"], (d) => {
      expect(readJson(path.join(d, "video-backend.json")).options.trialCredits).toBe(250);
    }],
    ["--bundle-id", ["--bundle-id", "com.acme.clips"], (d) => {
      expect(fs.readFileSync(path.join(d, "supabase/config.toml"), "utf8")).toContain('client_id = "com.acme.clips"');
      expect(readJson(path.join(d, "video-backend.json")).options.androidPackage).toBe("com.acme.clips");
    }],
    ["--android-package", ["--iap", "google", "--android-package", "com.acme.android"], (d) => {
      const m = readJson(path.join(d, "video-backend.json"));
      expect(m.options.androidPackage).toBe("com.acme.android");
      expect(m.reproduce).toContain("--android-package com.acme.android");
    }],
    ["--pg-major 15", ["--pg-major", "15"], (d) => {
      expect(fs.readFileSync(path.join(d, "supabase/config.toml"), "utf8")).toContain("major_version = 15");
    }],
  ];
  for (const [name, flags, check] of variants) {
    it(`with ${name}`, async () => {
      const cwd = tempCwd();
      const r = await runCli(["app", "--yes", ...FAST, ...flags], { cwd });
      expect(r.exitCode, r.stderr).toBe(0);
      check(path.join(cwd, "app"));
    });
  }

  it("--pm pnpm prints pnpm commands; npm_config_user_agent is detected", async () => {
    const cwd = tempCwd();
    const flag = await runCli(["a", "--yes", ...FAST, "--pm", "pnpm"], { cwd });
    expect(flag.stdout).toContain("pnpm install");
    expect(flag.stdout).toContain("pnpm verify");
    const agent = await runCli(["b", "--yes", ...FAST], { cwd, env: { npm_config_user_agent: "yarn/4.1.0 npm/? node/v20" } });
    expect(agent.stdout).toContain("yarn verify");
    const fallback = await runCli(["c", "--yes", ...FAST], { cwd });
    expect(fallback.stdout).toContain("npm run verify");
  });

  it("the printed reproduce command recreates the same project", async () => {
    const cwd = tempCwd();
    const env = { SOURCE_DATE_EPOCH: "1700000000" };
    const flags = ["--auth", "anonymous,devicecheck", "--iap", "google", "--providers", "replicate", "--monitoring", "telegram", "--trial-credits", "3"];
    const first = await runCli(["first-app", "--yes", ...FAST, ...flags], { cwd, env });
    expect(first.exitCode, first.stderr).toBe(0);
    const reproduce: string = readJson(path.join(cwd, "first-app/video-backend.json")).reproduce;
    expect(reproduce.startsWith("npm create video-backend@latest first-app -- ")).toBe(true);
    const args = reproduce.replace("npm create video-backend@latest first-app -- ", "").split(" ");
    const second = await runCli(["second-app", ...args, ...FAST], { cwd, env });
    expect(second.exitCode, second.stderr).toBe(0);
    const files = Object.keys(treeHash(path.join(cwd, "first-app"))).sort();
    expect(Object.keys(treeHash(path.join(cwd, "second-app"))).sort()).toEqual(files);
    // Identical but for the project name.
    for (const f of files) {
      const a = fs.readFileSync(path.join(cwd, "first-app", f), "utf8").replaceAll("first-app", "second-app");
      const b = fs.readFileSync(path.join(cwd, "second-app", f), "utf8");
      // The manifest's hashes are of files that name the project: compare the rest.
      const withoutHashes = (text: string) => ({ ...JSON.parse(text), files: undefined });
      if (f === "video-backend.json") expect(withoutHashes(b)).toEqual(withoutHashes(a));
      else expect(b, f).toBe(a);
    }
  });
});

describe("--dry-run and --json", () => {
  it("--dry-run prints the layer plan and writes nothing", async () => {
    const cwd = tempCwd();
    const r = await runCli(["app", "--yes", "--dry-run"], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.readdirSync(cwd)).toEqual([]);
    expect(r.stdout).toMatch(/1\. database[\s\S]*2\. credit procedures[\s\S]*3\. API/);
    expect(r.stdout).toContain("supabase/config.toml");
    expect(r.stdout).toContain("nothing was written");
  });

  it("--json prints one valid JSON object with the file list", async () => {
    const cwd = tempCwd();
    const r = await runCli(["app", "--yes", "--json", ...FAST], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.ok).toBe(true);
    expect(result.projectName).toBe("app");
    expect(result.files).toContain("supabase/config.toml");
    for (const f of result.files) expect(fs.existsSync(path.join(cwd, "app", f)), f).toBe(true);
    expect(result.layers.map((l: { title: string }) => l.title)).toEqual([
      "project", "database", "credit procedures", "API", "security", "operations",
    ]);
    expect(result.nextSteps).toContain("npm run verify");
  });

  it("--json with --dry-run writes nothing; a usage error is JSON too", async () => {
    const cwd = tempCwd();
    const dry = await runCli(["app", "--yes", "--json", "--dry-run"], { cwd });
    expect(JSON.parse(dry.stdout).dryRun).toBe(true);
    expect(fs.readdirSync(cwd)).toEqual([]);
    const bad = await runCli(["app", "--yes", "--json", "--providers", "sora"], { cwd });
    expect(bad.exitCode).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, exitCode: 2 });
  });
});

describe("usage errors exit 2 and name the fix", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["unknown flag", ["app", "--yes", "--colour"], /--colour[\s\S]*--help/],
    ["unknown auth value", ["app", "--yes", "--auth", "google"], /--auth: unknown value "google".*apple, anonymous, devicecheck/],
    ["none mixed with a store", ["app", "--yes", "--iap", "none,apple"], /"none" cannot be combined/],
    ["no provider", ["app", "--yes", "--providers", "none"], /--providers: unknown value "none"/],
    ["empty provider list", ["app", "--yes", "--providers", ","], /--providers needs at least one of: fal, runway, replicate/],
    ["unknown monitoring", ["app", "--yes", "--monitoring", "datadog"], /sentry, telegram, none/],
    ["trial credits too high", ["app", "--yes", "--trial-credits", "10001"], /0 to 10000/],
    ["trial credits not a number", ["app", "--yes", "--trial-credits", "ten"], /whole number/],
    ["bad bundle id", ["app", "--yes", "--bundle-id", "videoapp"], /reverse-DNS id such as com\.acme\.videoapp/],
    ["bad android package", ["app", "--yes", "--android-package", "com.acme-x.app"], /Android application id/],
    ["bad pg major", ["app", "--yes", "--pg-major", "16"], /--pg-major must be 15 or 17/],
    ["bad package manager", ["app", "--yes", "--pm", "pip"], /--pm must be one of npm, pnpm, yarn, bun/],
    ["devicecheck without anonymous", ["app", "--yes", "--auth", "apple,devicecheck"], /devicecheck needs anonymous.*--auth apple,anonymous,devicecheck/],
    ["invalid npm name", ["My App", "--yes"], /not a valid npm package name.*e\.g\. my-app/],
    ["path escaping the cwd", ["../elsewhere", "--yes"], /resolves outside the current directory/],
    ["two directories", ["a", "b", "--yes"], /Expected one project directory/],
    ["--database-url without verify", ["app", "--yes", "--database-url", "postgres://x"], /belongs to the verify command/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const cwd = tempCwd();
      const r = await runCli([...args, ...FAST], { cwd });
      expect(r.exitCode, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(fs.readdirSync(cwd)).toEqual([]);
    });
  }

  it("a symlink inside the cwd cannot be used to escape it", async () => {
    const cwd = tempCwd();
    const outside = tempCwd("cvb-outside-");
    fs.symlinkSync(outside, path.join(cwd, "link"));
    const r = await runCli(["link/app", "--yes", ...FAST], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/symbolic link/);
    expect(fs.readdirSync(outside)).toEqual([]);
  });

  it("no terminal and no flags: exit 2 listing every missing flag", async () => {
    const cwd = tempCwd();
    const r = await runCli([], { cwd });
    expect(r.exitCode).toBe(2);
    for (const missing of ["<dir>", "--auth", "--iap", "--providers", "--monitoring", "--yes"]) {
      expect(r.stderr).toContain(missing);
    }
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it("no terminal: every choice as a flag needs no --yes", async () => {
    const cwd = tempCwd();
    const r = await runCli(["app", "--auth", "apple", "--iap", "none", "--providers", "fal", "--monitoring", "none", ...FAST], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    const partial = await runCli(["app2", "--auth", "apple", ...FAST], { cwd });
    expect(partial.exitCode).toBe(2);
    expect(partial.stderr).toContain("--iap, --providers, --monitoring");
    expect(partial.stderr).not.toContain("--auth,");
  });
});

describe("the target directory", () => {
  function userDir(cwd: string) {
    const dir = path.join(cwd, "app");
    fs.mkdirSync(path.join(dir, "notes"), { recursive: true });
    fs.writeFileSync(path.join(dir, "README.md"), "# my own readme\n");
    fs.writeFileSync(path.join(dir, "notes/todo.txt"), "keep me\n");
    return dir;
  }

  it("a non-empty target exits 1 and is left byte-identical", async () => {
    const cwd = tempCwd();
    const dir = userDir(cwd);
    const before = treeHash(dir);
    const r = await runCli(["app", "--yes", ...FAST], { cwd });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/not empty.*--force/);
    expect(treeHash(dir)).toEqual(before);
    expect(fs.readdirSync(cwd)).toEqual(["app"]);
  });

  it("--force never overwrites a user's file: exit 1, nothing changed", async () => {
    const cwd = tempCwd();
    const dir = userDir(cwd);
    const before = treeHash(dir);
    const r = await runCli(["app", "--yes", "--force", ...FAST], { cwd });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/never overwrites.*README\.md/);
    expect(treeHash(dir)).toEqual(before);
    expect(fs.readdirSync(cwd)).toEqual(["app"]);
  });

  it("--force adds the project beside unrelated files and keeps them", async () => {
    const cwd = tempCwd();
    const dir = path.join(cwd, "app");
    fs.mkdirSync(path.join(dir, "design"), { recursive: true });
    fs.writeFileSync(path.join(dir, "design/logo.svg"), "<svg/>");
    const r = await runCli(["app", "--yes", "--force", ...FAST], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, "design/logo.svg"), "utf8")).toBe("<svg/>");
    expect(fs.existsSync(path.join(dir, "supabase/config.toml"))).toBe(true);
  });

  it("an existing empty directory is used", async () => {
    const cwd = tempCwd();
    fs.mkdirSync(path.join(cwd, "app"));
    const r = await runCli(["app", "--yes", ...FAST], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(cwd, "app/video-backend.json"))).toBe(true);
  });

  it("nested and absolute targets work, and leave no staging directory behind", async () => {
    const cwd = tempCwd();
    const nested = await runCli(["clients/acme", "--yes", ...FAST], { cwd });
    expect(nested.exitCode, nested.stderr).toBe(0);
    expect(fs.readdirSync(path.join(cwd, "clients"))).toEqual(["acme"]);
    const abs = path.join(tempCwd(), "abs-app");
    const absolute = await runCli([abs, "--yes", ...FAST], { cwd });
    expect(absolute.exitCode, absolute.stderr).toBe(0);
    expect(fs.existsSync(path.join(abs, "video-backend.json"))).toBe(true);
  });
});

describe("git and install", () => {
  const identity = {
    GIT_AUTHOR_NAME: "Test",
    GIT_AUTHOR_EMAIL: "test@example.com",
    GIT_COMMITTER_NAME: "Test",
    GIT_COMMITTER_EMAIL: "test@example.com",
  };

  it("git init + first commit by default", async () => {
    const cwd = tempCwd();
    const r = await runCli(["app", "--yes", "--no-install"], { cwd, env: identity });
    expect(r.exitCode, r.stderr).toBe(0);
    const { execa } = await import("execa");
    const log = await execa("git", ["log", "--oneline"], { cwd: path.join(cwd, "app") });
    expect(log.stdout).toContain("Initial commit from create-video-backend");
    const status = await execa("git", ["status", "--porcelain"], { cwd: path.join(cwd, "app") });
    expect(status.stdout).toBe("");
  });

  it("no git identity: a warning with the command, files kept, exit 0", async () => {
    const cwd = tempCwd();
    const home = tempCwd("cvb-home-");
    const r = await runCli(["app", "--yes", "--no-install"], {
      cwd,
      env: { HOME: home, XDG_CONFIG_HOME: home, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", EMAIL: "" },
      extendEnv: true,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/first commit failed[\s\S]*git commit -m/);
    expect(fs.existsSync(path.join(cwd, "app/supabase/config.toml"))).toBe(true);
  });

  it("an install that cannot run is a warning with the command, files kept, exit 0", async () => {
    const cwd = tempCwd();
    // bun is not installed here, so the install step fails.
    const r = await runCli(["app", "--yes", "--no-git", "--pm", "bun"], { cwd, env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/bun install failed[\s\S]*cd app && bun install/);
    expect(r.stdout).toContain("bun install");
    expect(fs.existsSync(path.join(cwd, "app/package.json"))).toBe(true);
  });
});
