/**
 * Build step (tsup.config.ts, after the CLI is bundled): writes the template
 * bundle as `dist/templates.js` and V8's code cache for it as
 * `dist/templates.cache`, which the CLI loads with bundle-load.ts.
 *
 * The cache is made after rendering a spread of projects, so it holds the
 * compiled code of every template function those renders called, not only
 * the script's top level. It fits the Node (V8 version and flags) that ran
 * the build; on any other, the CLI compiles the script instead.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { BUNDLE_CACHE, BUNDLE_SCRIPT, BUILD_KEY_PREFIX, type BuiltBundle, buildKeyOf, cacheHeader } from "./bundle-load.js";
import { CHOICES, checkRules, type ListChoiceKey, type Options, withDefaults } from "./options.js";
import { buildContext } from "./plan.js";
import { buildOpenApiParts } from "./openapi-parts.js";
import { bundleExpression } from "./precompile.js";
import { renderTemplates } from "./renderer.js";

/** Every character outside ASCII as a `\uXXXX` escape: they only occur inside string literals of the bundle. */
function asciiOnly(code: string): string {
  return code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * The script: an expression whose value is the BuiltBundle (the templates, and
 * the OpenAPI parts as an object literal), then the build key (a hash of the
 * expression).
 */
export function bundleScript(templatesDir: string): string {
  const value = `{\ntemplates: ${bundleExpression(templatesDir)},\nopenApi: ${JSON.stringify(buildOpenApiParts())}\n}`;
  const expression = `(${asciiOnly(value)})\n`;
  const key = createHash("sha256").update(expression).digest("hex").slice(0, 32);
  return `// Generated from templates/ by src/bundle-build.ts. Do not edit: templates.cache belongs to this exact text.\n${expression}${BUILD_KEY_PREFIX}${key}\n`;
}

/**
 * The projects rendered before the cache is taken: every choice value alone
 * (with the other choices at their defaults), every choice at its fullest and
 * at its emptiest, and both agent settings. Together they call every branch
 * of the templates that any single choice turns on or off.
 */
export function warmUpOptions(): Options[] {
  const lists: Array<Partial<Pick<Options, ListChoiceKey>>> = [{}];
  const all = Object.fromEntries(CHOICES.map((c) => [c.key, c.values.map((v) => v.value)])) as Pick<Options, ListChoiceKey>;
  lists.push(all);
  for (const c of CHOICES) {
    for (const v of c.values) lists.push({ [c.key]: [v.value] });
    if (c.none) lists.push({ ...all, [c.key]: [] });
  }
  const options: Options[] = [];
  for (const l of lists) {
    for (const agents of ["claude", "none"]) {
      const o = withDefaults(l, { agents }, "npm");
      try {
        checkRules(o);
        options.push(o);
      } catch {
        // A lone value that needs another (devicecheck without anonymous) is not a project.
      }
    }
  }
  return options;
}

/** Writes templates.js and templates.cache into outDir; returns their sizes in bytes. */
export function writeBuiltBundle(outDir: string, templatesDir: string): { script: number; cache: number } {
  const source = bundleScript(templatesDir);
  const file = path.join(outDir, BUNDLE_SCRIPT);
  fs.writeFileSync(file, source);
  const script = new vm.Script(source, { filename: file });
  const { templates } = script.runInThisContext() as BuiltBundle;
  const now = new Date(0);
  for (const options of warmUpOptions()) {
    renderTemplates(buildContext("warm-up", options, { name: "create-video-backend", version: "0.0.0" }, now), now, templates, () => "{}\n");
  }
  const cache = Buffer.concat([Buffer.from(cacheHeader(buildKeyOf(source)!, process.versions.v8), "latin1"), script.createCachedData()]);
  fs.writeFileSync(path.join(outDir, BUNDLE_CACHE), cache);
  return { script: Buffer.byteLength(source), cache: cache.length };
}
