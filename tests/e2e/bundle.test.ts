/**
 * The published CLI generates from its bundle alone: no templates/ folder, no
 * node_modules, and no Handlebars compiler in dist/ (templates are precompiled
 * at build time). The template bundle's V8 code cache is taken by the Node
 * that built it, and a cache that does not fit is left unused without
 * changing a byte of what is generated.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { buildSync } from "esbuild";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { BUNDLE_CACHE, BUNDLE_SCRIPT, buildKeyOf, cacheHeader } from "../../src/bundle-load.js";
import { FAST, ROOT, runCli, tempCwd, treeHash } from "./helpers.js";

const ALL_ON = [
  "--auth", "apple,anonymous,devicecheck",
  "--iap", "apple,google,revenuecat",
  "--providers", "fal,runway,replicate",
  "--monitoring", "sentry,telegram",
];

describe("the built CLI", () => {
  it("contains no template compiler", () => {
    for (const file of fs.readdirSync(path.join(ROOT, "dist"))) {
      const code = fs.readFileSync(path.join(ROOT, "dist", file), "utf8");
      // Names that exist only in Handlebars' compiler (parser, code generator).
      for (const marker of ["createFunctionContext", "JavaScriptCompiler", "Parse error on line"]) {
        expect(code.includes(marker), `${file} contains ${marker}`).toBe(false);
      }
    }
  });

  it("generates the same project with only bin/ and dist/ (no templates/, no node_modules)", async () => {
    const copy = tempCwd("cvb-bundle-only-");
    fs.cpSync(path.join(ROOT, "bin"), path.join(copy, "bin"), { recursive: true });
    fs.cpSync(path.join(ROOT, "dist"), path.join(copy, "dist"), { recursive: true });
    fs.copyFileSync(path.join(ROOT, "package.json"), path.join(copy, "package.json"));
    const env = { SOURCE_DATE_EPOCH: "1767225600", npm_config_user_agent: "" };
    const alone = tempCwd();
    const r = await execa("node", [path.join(copy, "bin/create-video-backend.js"), "app", "--yes", ...FAST, ...ALL_ON], {
      cwd: alone,
      env,
      reject: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const usual = tempCwd();
    const reference = await runCli(["app", "--yes", ...FAST, ...ALL_ON], { cwd: usual, env });
    expect(reference.exitCode, reference.stderr).toBe(0);
    const files = treeHash(path.join(alone, "app"));
    expect(Object.keys(files).length).toBeGreaterThan(140);
    expect(files).toEqual(treeHash(path.join(usual, "app")));
  });
});

describe("the template bundle's code cache", () => {
  const dist = path.join(ROOT, "dist");
  const script = fs.readFileSync(path.join(dist, BUNDLE_SCRIPT), "latin1");
  const cache = fs.readFileSync(path.join(dist, BUNDLE_CACHE));
  const key = buildKeyOf(script)!;
  const header = cacheHeader(key, process.versions.v8);

  /** How a fresh Node process loads the bundle in `dir` (bundle-load.ts, bundled for it). */
  async function cacheUse(dir: string): Promise<string> {
    const loader = path.join(tempCwd("cvb-loader-"), "loader.mjs");
    buildSync({ entryPoints: [path.join(ROOT, "src/bundle-load.ts")], bundle: true, platform: "node", format: "esm", outfile: loader, logLevel: "error" });
    const code = `import { loadBuiltBundle } from ${JSON.stringify(pathToFileURL(loader).href)};
const { bundle, cache } = loadBuiltBundle(new URL(${JSON.stringify(pathToFileURL(dir + path.sep).href)}));
console.log(cache, Object.keys(bundle.templates.layers).length, Object.keys(bundle.openApi.operations).length);`;
    const r = await execa("node", ["--input-type=module", "-e", code], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const [use, layers, operations] = r.stdout.trim().split(" ");
    expect(Number(layers)).toBeGreaterThan(4);
    expect(Number(operations)).toBeGreaterThan(4);
    return use!;
  }

  /** A copy of bin/ and dist/ whose cache file is `damage(cache)` (undefined: no cache file). */
  function copyWithCache(damage: (cache: Buffer) => Buffer | undefined): string {
    const copy = tempCwd("cvb-cache-");
    fs.cpSync(path.join(ROOT, "bin"), path.join(copy, "bin"), { recursive: true });
    fs.cpSync(dist, path.join(copy, "dist"), { recursive: true });
    fs.copyFileSync(path.join(ROOT, "package.json"), path.join(copy, "package.json"));
    const damaged = damage(Buffer.from(cache));
    if (damaged) fs.writeFileSync(path.join(copy, "dist", BUNDLE_CACHE), damaged);
    else fs.rmSync(path.join(copy, "dist", BUNDLE_CACHE));
    return copy;
  }

  it("is made for exactly this script (its build key) and this V8", () => {
    expect(/[^\x00-\x7f]/.test(script)).toBe(false);
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(cache.subarray(0, header.length).toString("latin1")).toBe(header);
    expect(cache.length).toBeGreaterThan(header.length + 100_000);
  });

  it("is taken by the Node that built it", async () => {
    expect(await cacheUse(dist)).toBe("used");
  });

  it("of another build, of another V8, damaged or missing, is not used, and the project is the same", async () => {
    const otherKey = (c: Buffer) => {
      const other = Buffer.from(c);
      other.write(key.replace(/^./, key[0] === "0" ? "1" : "0"), header.indexOf(key), "latin1");
      return other;
    };
    const otherV8 = (c: Buffer) => Buffer.concat([Buffer.from(cacheHeader(key, "0.0.0-other")), c.subarray(header.length)]);
    const truncated = (c: Buffer) => c.subarray(0, header.length + Math.floor((c.length - header.length) / 2));
    const cases: Array<[string, (c: Buffer) => Buffer | undefined, string]> = [
      ["another build", otherKey, "skipped"],
      ["another V8", otherV8, "skipped"],
      ["truncated", truncated, "rejected"],
      ["missing", () => undefined, "skipped"],
    ];
    const env = { SOURCE_DATE_EPOCH: "1767225600", npm_config_user_agent: "" };
    const usual = tempCwd();
    const reference = await runCli(["app", "--yes", ...FAST, ...ALL_ON], { cwd: usual, env });
    expect(reference.exitCode, reference.stderr).toBe(0);
    const expected = treeHash(path.join(usual, "app"));
    for (const [name, damage, use] of cases) {
      const copy = copyWithCache(damage);
      expect(await cacheUse(path.join(copy, "dist")), name).toBe(use);
      const cwd = tempCwd();
      const r = await execa("node", [path.join(copy, "bin/create-video-backend.js"), "app", "--yes", ...FAST, ...ALL_ON], { cwd, env, reject: false });
      expect(r.exitCode, `${name}: ${r.stderr}`).toBe(0);
      expect(treeHash(path.join(cwd, "app")), name).toEqual(expected);
    }
  });
});
