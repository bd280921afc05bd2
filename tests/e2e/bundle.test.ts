/**
 * The published CLI generates from its bundle alone: no templates/ folder, no
 * node_modules, and no Handlebars compiler in dist/ (templates are precompiled
 * at build time). The generation engine's compile cache is saved by a first
 * run and taken by the next, and a cache that does not fit is left unused and
 * replaced without changing a byte of what is generated.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { buildSync } from "esbuild";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { buildKeyOf, cacheFile, ENGINE_SCRIPT } from "../../src/engine-load.js";
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

describe("the generation engine's compile cache", () => {
  const dist = path.join(ROOT, "dist");
  const script = fs.readFileSync(path.join(dist, ENGINE_SCRIPT), "latin1");
  const env = { SOURCE_DATE_EPOCH: "1767225600", npm_config_user_agent: "" };

  /** engine-load.ts bundled for a plain Node process, once for this file. */
  let loaderFile: string | undefined;
  function loader(): string {
    if (!loaderFile) {
      loaderFile = path.join(tempCwd("cvb-loader-"), "loader.mjs");
      buildSync({ entryPoints: [path.join(ROOT, "src/engine-load.ts")], bundle: true, platform: "node", format: "esm", outfile: loaderFile, logLevel: "error" });
    }
    return loaderFile;
  }

  /** How a fresh Node process loads the engine with its cache in `cacheDirectory`. */
  async function cacheUse(cacheDirectory: string): Promise<string> {
    const code = `import { loadEngine } from ${JSON.stringify(pathToFileURL(loader()).href)};
const { engine, cache } = loadEngine(new URL(${JSON.stringify(pathToFileURL(dist + path.sep).href)}), { CVB_COMPILE_CACHE: ${JSON.stringify(cacheDirectory)} });
console.log(cache, Object.keys(engine.templates.layers).length, Object.keys(engine.openApi.operations).length);`;
    const r = await execa("node", ["--input-type=module", "-e", code], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const [use, layers, operations] = r.stdout.trim().split(" ");
    expect(Number(layers)).toBeGreaterThan(4);
    expect(Number(operations)).toBeGreaterThan(4);
    return use!;
  }

  /** Generates the all-features project with the cache in `cacheDirectory`; returns the tree. */
  async function generate(extraEnv: Record<string, string>): Promise<Record<string, string>> {
    const cwd = tempCwd();
    const r = await runCli(["app", "--yes", ...FAST, ...ALL_ON], { cwd, env: { ...env, ...extraEnv } });
    expect(r.exitCode, r.stderr).toBe(0);
    return treeHash(path.join(cwd, "app"));
  }

  it("the engine is ASCII only and ends with its build key", () => {
    expect(/[^\x00-\x7f]/.test(script)).toBe(false);
    expect(buildKeyOf(script)).toMatch(/^[0-9a-f]{32}$/);
  });

  it("a first run saves a cache named for this build and this V8, and the next run takes it", async () => {
    const cacheDirectory = tempCwd("cvb-cache-");
    expect(await cacheUse(cacheDirectory)).toBe("none");
    await generate({ CVB_COMPILE_CACHE: cacheDirectory });
    expect(fs.readdirSync(cacheDirectory)).toEqual([path.basename(cacheFile(cacheDirectory, script)!)]);
    expect(fs.statSync(cacheFile(cacheDirectory, script)!).size).toBeGreaterThan(100_000);
    expect(await cacheUse(cacheDirectory)).toBe("used");
  });

  it("a cache of another build is not read and is replaced; a damaged one is refused and replaced; the project is the same", async () => {
    const reference = await generate({ NODE_DISABLE_COMPILE_CACHE: "1" });
    expect(Object.keys(reference).length).toBeGreaterThan(140);
    const good = tempCwd("cvb-cache-");
    await generate({ CVB_COMPILE_CACHE: good });
    const goodCache = fs.readFileSync(cacheFile(good, script)!);

    const other = tempCwd("cvb-cache-");
    const otherName = path.join(other, path.basename(cacheFile(other, script)!).replace(buildKeyOf(script)!, "0".repeat(32)));
    fs.writeFileSync(otherName, goodCache);
    expect(await cacheUse(other)).toBe("none");
    expect(await generate({ CVB_COMPILE_CACHE: other })).toEqual(reference);
    expect(fs.readdirSync(other)).toEqual([path.basename(cacheFile(other, script)!)]);

    const damaged = tempCwd("cvb-cache-");
    fs.writeFileSync(cacheFile(damaged, script)!, goodCache.subarray(0, goodCache.length >> 1));
    expect(await cacheUse(damaged)).toBe("rejected");
    expect(await generate({ CVB_COMPILE_CACHE: damaged })).toEqual(reference);
    expect(fs.statSync(cacheFile(damaged, script)!).size).toBeGreaterThan(goodCache.length >> 1);
    expect(await cacheUse(damaged)).toBe("used");

    expect(await generate({ CVB_COMPILE_CACHE: good })).toEqual(reference);
  });

  it("a cache another user could have written is neither read nor replaced (V8 would run what it holds)", async () => {
    const good = tempCwd("cvb-cache-");
    await generate({ CVB_COMPILE_CACHE: good });
    const file = cacheFile(good, script)!;
    const before = fs.readFileSync(file);
    expect(await cacheUse(good)).toBe("used");
    // A directory others can write to (a shared temp dir, say).
    fs.chmodSync(good, 0o777);
    expect(await cacheUse(good)).toBe("untrusted");
    await generate({ CVB_COMPILE_CACHE: good });
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    // A private directory, but a file others can write to.
    fs.chmodSync(good, 0o700);
    fs.chmodSync(file, 0o666);
    expect(await cacheUse(good)).toBe("untrusted");
    fs.chmodSync(file, 0o644);
    expect(await cacheUse(good)).toBe("used");
  });

  it("NODE_DISABLE_COMPILE_CACHE turns it off, and a cache directory that cannot be written costs nothing but speed", async () => {
    const off = tempCwd("cvb-cache-");
    await generate({ CVB_COMPILE_CACHE: off, NODE_DISABLE_COMPILE_CACHE: "1" });
    expect(fs.readdirSync(off)).toEqual([]);
    const notADirectory = path.join(tempCwd("cvb-cache-"), "file");
    fs.writeFileSync(notADirectory, "");
    expect(Object.keys(await generate({ CVB_COMPILE_CACHE: notADirectory })).length).toBeGreaterThan(140);
  });
});
