/**
 * Build step (tsup.config.ts, after the CLI is bundled): writes the
 * generation engine (engine.ts, with the templates precompiled inside) as
 * `dist/engine.js`, which the CLI loads with engine-load.ts.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { build, type Plugin } from "esbuild";
import { BUILD_KEY_PREFIX, ENGINE_SCRIPT } from "./engine-load.js";
import { GENERATED_MODULE, generatedModule } from "./generated-modules.js";

/** The generated modules (generated-modules.ts), made now from templatesDir. */
function generatedModules(templatesDir: string): Plugin {
  return {
    name: "cvb-generated",
    setup(b) {
      b.onResolve({ filter: GENERATED_MODULE }, (args) => ({ path: args.path, namespace: "cvb-generated" }));
      b.onLoad({ filter: /.*/, namespace: "cvb-generated" }, (args) => ({ contents: generatedModule(args.path, templatesDir), loader: "js" }));
    },
  };
}

/** engine.ts and all it imports as one CommonJS function, ASCII only, ending with its build key. */
export async function engineScript(entry: string, templatesDir: string, define: Record<string, string>): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    // Non-ASCII characters are escaped, so the loader reads the file as latin1 with no UTF-8 decoding.
    charset: "ascii",
    define,
    plugins: [generatedModules(templatesDir)],
    write: false,
    logLevel: "silent",
  });
  // A warning here (import.meta in CommonJS, say) would be a broken engine: refuse it.
  const problems = [...result.errors, ...result.warnings].map((m) => m.text);
  if (problems.length > 0) throw new Error(`Building ${ENGINE_SCRIPT}: ${problems.join("; ")}`);
  const code = result.outputFiles[0]!.text;
  const wrapped = `(function (exports, require, module, __filename, __dirname) {\n${code}\n})\n`;
  const key = createHash("sha256").update(wrapped).digest("hex").slice(0, 32);
  return `${wrapped}${BUILD_KEY_PREFIX}${key}\n`;
}

/** Writes engine.js into outDir; returns its size in bytes. */
export async function writeEngine(options: { outDir: string; entry: string; templatesDir: string; define: Record<string, string> }): Promise<number> {
  const source = await engineScript(options.entry, options.templatesDir, options.define);
  fs.writeFileSync(path.join(options.outDir, ENGINE_SCRIPT), source);
  return Buffer.byteLength(source);
}
