/**
 * The published CLI generates from its bundle alone: no templates/ folder, no
 * node_modules, and no Handlebars compiler in dist/ (templates are precompiled
 * at build time).
 */
import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
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
