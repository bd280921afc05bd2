/**
 * Everything the release workflow does, up to the real publish: pack, the
 * tarball checks (scripts/check-release.mjs, the same script the workflow
 * runs), `npm publish --dry-run` of that tarball against a loopback registry,
 * the `npm version` hook, and the workflow files through a workflow linter.
 * Each check is also shown failing on a broken input.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseChangelog } from "../../src/changelog.js";
import { withDefaults } from "../../src/options.js";
import { buildContext } from "../../src/plan.js";
import { render } from "../../src/render.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
const CHECK = path.join(ROOT, "scripts/check-release.mjs");
const VALIDATOR = path.join(ROOT, "node_modules/.bin/action-validator");
const WORKFLOWS = path.join(ROOT, ".github/workflows");

let tmp: string;
let tarball: string;

/** The caller's npm settings and tokens never reach the npm we spawn. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(npm_|NPM_TOKEN$|NODE_AUTH_TOKEN$)/i.test(k)),
  );
  return { ...env, ...extra };
}

async function check(tgz: string, ...flags: string[]) {
  return execa("node", [CHECK, tgz, ...flags], { reject: false, all: true });
}

/** A copy of the good tarball with `edit` applied to its unpacked files. */
function tamper(name: string, edit: (pkgDir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(tmp, `${name}-`));
  execFileSync("tar", ["xzf", tarball, "-C", dir]);
  edit(path.join(dir, "package"));
  const out = path.join(tmp, `${name}.tgz`);
  execFileSync("tar", ["czf", out, "-C", dir, "package"]);
  return out;
}

function editJson(file: string, edit: (json: Record<string, unknown>) => void) {
  const json = JSON.parse(fs.readFileSync(file, "utf8"));
  edit(json);
  fs.writeFileSync(file, JSON.stringify(json, null, 2));
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-release-"));
  // --ignore-scripts: pack the dist/ the other tests use, without rebuilding it under them.
  const packed = await execa("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], {
    cwd: ROOT,
    env: cleanEnv(),
    extendEnv: false,
  });
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
  tarball = path.join(tmp, info!.filename);
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe.concurrent("the packed tarball", () => {
  it("passes every release check, including running the bin and generating a project from it", async () => {
    const r = await check(tarball, "--tag", `v${PKG.version}`);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).not.toContain("FAIL");
    for (const name of [
      "every file is on the allow-list",
      "every required file is present",
      "no runtime dependencies",
      `tag v${PKG.version} is v + package.json's version`,
      `CHANGELOG.md has a section for ${PKG.version}`,
      "--version prints the version",
      "--help exits 0 and names the command",
      "generates a project with --yes --no-git --no-install",
      "video-backend.json records this generator and version",
    ]) {
      expect(r.stdout).toContain(`ok    ${name}`);
    }
    expect(r.stdout).toMatch(/: 18 ok, 0 failed$/m);
  });

  // Each check fails on a tarball that breaks it (every check reports on its
  // own, so one tarball can carry several faults), and a tarball that fails
  // the static checks is never executed.
  it("fails a package.json with dependencies, an install script, a version without a CHANGELOG section or another tag", async () => {
    const bad = tamper("manifest", (d) =>
      editJson(path.join(d, "package.json"), (p) => {
        p.dependencies = { handlebars: "4.7.10" };
        p.scripts = { postinstall: "node x.js" };
        p.version = "9.9.9";
        // npm's spelling of a repository URL, which must still match.
        p.repository = { type: "git", url: "git+https://github.com/Someone/Else.git" };
      }));
    const r = await check(bad, "--tag", `v${PKG.version}`, "--repository", "someone/else");
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stdout).toContain("FAIL  no runtime dependencies: package.json has dependencies");
    expect(r.stdout).toContain("FAIL  no install scripts: scripts: postinstall");
    expect(r.stdout).toContain(`FAIL  tag v${PKG.version} is v + package.json's version: version: 9.9.9`);
    expect(r.stdout).toContain("FAIL  CHANGELOG.md has a section for 9.9.9");
    expect(r.stdout).toContain("ok    repository.url is https://github.com/someone/else");
    expect(r.stdout).not.toContain("--version prints the version");
  });

  it("fails a file list with a file missing, files off the allow-list, over the size budget or another repository", async () => {
    const bad = tamper("files", (d) => {
      fs.rmSync(path.join(d, "dist/cli.js"));
      fs.rmSync(path.join(d, "CHANGELOG.md"));
      fs.mkdirSync(path.join(d, "src"));
      fs.writeFileSync(path.join(d, "src/cli.ts"), "");
      fs.mkdirSync(path.join(d, "templates"), { recursive: true }); // the templates ship inside dist/
      fs.writeFileSync(path.join(d, "templates/.env"), "SECRET=1");
      fs.writeFileSync(path.join(d, "templates/noise.bin"), randomBytes(1 << 20)); // incompressible
    });
    const r = await check(bad, "--repository", "someone/else");
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stdout).toContain("FAIL  every required file is present: missing: CHANGELOG.md, dist/cli.js");
    expect(r.stdout).toMatch(/FAIL {2}every file is on the allow-list: not allowed: .*src\/cli\.ts/);
    expect(r.stdout).toMatch(/FAIL {2}every file is on the allow-list: not allowed: .*templates\/\.env/);
    expect(r.stdout).toMatch(/FAIL {2}packed size \d+ B <= 786432 B/);
    expect(r.stdout).toContain(`FAIL  CHANGELOG.md has a section for ${PKG.version}`);
    expect(r.stdout).toContain("FAIL  repository.url is https://github.com/someone/else: repository.url: (none)");
    expect(r.stdout).not.toContain("--version prints the version");
  });

  it("fails when the bin does not run from the unpacked copy", async () => {
    const broken = tamper("crash", (d) => fs.writeFileSync(path.join(d, "dist/cli.js"), "throw new Error('boom');\n"));
    const r = await check(broken);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}--version prints the version: .*boom/s);
    expect(r.stdout).toMatch(/FAIL {2}generates a project/);
  });
});

describe.concurrent("npm publish --dry-run of the tarball", () => {
  it("reads the tarball, publishes nothing and sends no write to the registry", async () => {
    // A loopback registry that records every request: the dry run may look the
    // package up, but a PUT here would be a real publish.
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const userconfig = path.join(tmp, "empty-npmrc");
    fs.writeFileSync(userconfig, "");
    try {
      const r = await execa(
        "npm",
        ["publish", tarball, "--dry-run", "--ignore-scripts", "--json", "--registry", registry, "--userconfig", userconfig, "--fetch-retries", "0"],
        { cwd: tmp, env: cleanEnv(), extendEnv: false, reject: false, all: true },
      );
      expect(r.exitCode, r.all).toBe(0);
      const result = JSON.parse(r.stdout)[PKG.name] as { id: string; files: Array<{ path: string }> };
      expect(result.id).toBe(`${PKG.name}@${PKG.version}`);
      // The file list is the tarball's, not the working directory's.
      const inTarball = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).trim().split("\n").map((f) => f.replace(/^package\//, ""));
      expect(result.files.map((f) => f.path).sort()).toEqual(inTarball.filter((f) => !f.endsWith("/")).sort());
      expect(r.stderr).toContain("(dry-run)");
      expect(requests.filter((q) => !q.startsWith("GET "))).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe.concurrent("npm version", () => {
  it("turns [Unreleased] into the new release in the version commit and tag, and refuses an empty one", async () => {
    const repo = fs.mkdtempSync(path.join(tmp, "version-"));
    for (const f of ["package.json", "package-lock.json", "CHANGELOG.md", "scripts/release-changelog.mjs"]) {
      fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(repo, f));
    }
    const env = cleanEnv({
      GIT_AUTHOR_NAME: "Release Test",
      GIT_AUTHOR_EMAIL: "release@example.com",
      GIT_COMMITTER_NAME: "Release Test",
      GIT_COMMITTER_EMAIL: "release@example.com",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_NOSYSTEM: "1",
      SOURCE_DATE_EPOCH: "1798761600", // 2027-01-01
    });
    const git = (...args: string[]) => execa("git", args, { cwd: repo, env, extendEnv: false });
    // Right after a release [Unreleased] is empty: give it an entry to release.
    const changelog = path.join(repo, "CHANGELOG.md");
    if ((parseChangelog(fs.readFileSync(changelog, "utf8")).unreleased?.sections.length ?? 0) === 0) {
      fs.writeFileSync(
        changelog,
        fs.readFileSync(changelog, "utf8").replace(/^## \[Unreleased\]\n/m, "## [Unreleased]\n\n### Upgrade notes\n\n- None.\n\n### Fixed\n\n- A test entry.\n"),
      );
    }
    await git("init", "--quiet");
    await git("add", "-A");
    await git("commit", "--quiet", "-m", "start");
    const before = parseChangelog(fs.readFileSync(path.join(repo, "CHANGELOG.md"), "utf8"));
    const expected = before.unreleased?.sections;
    expect(expected?.length, "CHANGELOG.md's [Unreleased] has entries to release").toBeGreaterThan(0);

    const r = await execa("npm", ["version", "minor"], { cwd: repo, env, extendEnv: false, reject: false, all: true });
    expect(r.exitCode, r.all).toBe(0);
    const next = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")).version as string;
    expect(next).not.toBe(PKG.version);
    expect((await git("tag", "--list")).stdout.trim()).toBe(`v${next}`);
    expect((await git("status", "--porcelain")).stdout).toBe("");
    const committed = (await git("show", "--name-only", "--format=%s", "HEAD")).stdout.split("\n");
    expect(committed[0]).toBe(next);
    expect(committed).toEqual(expect.arrayContaining(["CHANGELOG.md", "package.json", "package-lock.json"]));
    const after = parseChangelog((await git("show", `v${next}:CHANGELOG.md`)).stdout);
    expect(after.releases[0]).toMatchObject({ version: next, date: "2027-01-01", sections: expected });
    expect(after.releases.slice(1).map((x) => x.version)).toEqual(before.releases.map((x) => x.version));
    expect(after.unreleased?.sections).toEqual([]);

    // Nothing new under [Unreleased]: no commit, no tag.
    const again = await execa("npm", ["version", "patch"], { cwd: repo, env, extendEnv: false, reject: false, all: true });
    expect(again.exitCode).not.toBe(0);
    expect(again.all).toContain("[Unreleased] in CHANGELOG.md has no entries");
    expect((await git("tag", "--list")).stdout.trim()).toBe(`v${next}`);
    expect((await git("log", "--format=%s", "-1")).stdout).toBe(next);
  });
});

describe.concurrent("workflow files", () => {
  // The validator's engine in-process (the wasm loads once); the pinned CLI,
  // which developers run, is exercised once below with the same engine.
  function errorsOf(yml: string): string {
    const { errors } = validateWorkflow(yml);
    return errors.length ? JSON.stringify(errors) : "";
  }

  const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

  it("this repository has a CI and a release workflow, and each passes action-validator", () => {
    expect(files.sort()).toEqual(["ci.yml", "release.yml"]);
    for (const file of files) expect(errorsOf(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")), file).toBe("");
  });

  it("the generated project's workflows pass action-validator", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    const options = withDefaults({ iap: ["apple", "google", "revenuecat"], providers: ["fal", "runway", "replicate"] }, {}, "npm");
    const rendered = render(buildContext("wf-test", options, { name: PKG.name, version: PKG.version }, now), now);
    const workflows = rendered.filter((f) => f.path.startsWith(".github/workflows/"));
    expect(workflows.length).toBeGreaterThan(0);
    for (const wf of workflows) expect(errorsOf(wf.content), wf.path).toBe("");
  });

  const release = fs.readFileSync(path.join(WORKFLOWS, "release.yml"), "utf8");
  it.each([
    ["a misspelt key", release.replace("    runs-on: ubuntu-24.04\n    timeout-minutes: 15", "    run-on: ubuntu-24.04\n    timeout-minutes: 15"), /Additional property 'run-on' is not allowed/],
    ["a bad permission value", release.replace("id-token: write", "id-token: publish"), /\/jobs\/publish\/permissions/],
    ["broken YAML", release.replace("jobs:\n", "jobs:\n  check: [\n"), /"code":"parse_error"/],
  ])("a release.yml with %s fails the validator", (_what, broken, message) => {
    expect(broken).not.toBe(release);
    expect(errorsOf(broken)).toMatch(message);
  });

  it("the pinned action-validator CLI exits 0 on release.yml and 1 on a broken copy", async () => {
    const good = await execa(VALIDATOR, [path.join(WORKFLOWS, "release.yml")], { reject: false, all: true });
    expect(good.exitCode, good.all).toBe(0);
    const file = path.join(fs.mkdtempSync(path.join(tmp, "broken-wf-")), "release.yml");
    fs.writeFileSync(file, release.replace("id-token: write", "id-token: publish"));
    const bad = await execa(VALIDATOR, [file], { reject: false, all: true });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain("/jobs/publish/permissions");
  });
});

describe.concurrent("release.yml", () => {
  const yml = fs.readFileSync(path.join(WORKFLOWS, "release.yml"), "utf8");
  const [head, jobs] = yml.split(/^jobs:\n/m) as [string, string];
  const [checkJob, publishJob] = jobs.split(/^ {2}publish:\n/m) as [string, string];

  it("runs on version tags only, read-only by default", () => {
    expect(head).toMatch(/^on:\n {2}push:\n {4}tags: \["v\*"\]\n\n/m);
    expect(head).toMatch(/^permissions:\n {2}contents: read\n\n/m);
  });

  it("CI and the release test on Debian as root with .ci/run itself, so they install what CI installs", () => {
    const ci = fs.readFileSync(path.join(WORKFLOWS, "ci.yml"), "utf8");
    for (const text of [ci, checkJob]) {
      expect(text).toContain("image: node:20-bookworm");
      expect(text).toContain("run: bash .ci/run");
    }
  });

  it("tests with .ci/run, then packs and checks the tarball with the tag and repository", () => {
    expect(checkJob).toContain("run: bash .ci/run");
    expect(checkJob).toContain("npm pack --ignore-scripts");
    expect(checkJob).toContain('node scripts/check-release.mjs "$TARBALL" --tag "$GITHUB_REF_NAME" --repository "$GITHUB_REPOSITORY"');
    expect(checkJob.indexOf("bash .ci/run")).toBeLessThan(checkJob.indexOf("npm pack"));
    expect(checkJob).not.toContain("id-token");
    expect(checkJob).not.toMatch(/npm publish(?!.*--dry-run)/);
  });

  it("publishes the checked .tgz file with provenance, and only that job may mint an OIDC token", () => {
    expect(publishJob).toMatch(/needs: check\n/);
    expect(publishJob).toMatch(/permissions:\n {6}contents: read\n {6}id-token: write/);
    expect(publishJob).toContain('sha256sum --check --strict');
    expect(publishJob).toMatch(/run: npm publish "\.\/\$TARBALL" --provenance --access public/);
    expect(publishJob.indexOf("sha256sum")).toBeLessThan(publishJob.indexOf("npm publish"));
    expect(publishJob).not.toContain("actions/checkout");
  });
});
