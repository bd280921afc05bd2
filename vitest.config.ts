import path from "node:path";
import { defineConfig, type Plugin } from "vitest/config";
import { openApiPartsModule } from "./src/openapi-parts.js";
import { bundleModule } from "./src/precompile.js";

// `virtual:cvb-templates` and `virtual:cvb-openapi` are built by tsup for the
// published CLI; tests that import src/ get the same modules, made from
// templates/ as it is now.
const templates: Plugin = {
  name: "cvb-templates",
  resolveId: (id) => (id === "virtual:cvb-templates" || id === "virtual:cvb-openapi" ? `\0${id}` : undefined),
  load(id) {
    if (id === "\0virtual:cvb-templates") return bundleModule(path.resolve(import.meta.dirname, "templates"));
    if (id === "\0virtual:cvb-openapi") return openApiPartsModule();
    return undefined;
  },
};

// Two tiers: fast unit/e2e tests of the CLI, and the slow matrix that verifies
// generated projects on a real PostgreSQL with the real Supabase CLI and Deno.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [templates],
        test: {
          name: "unit",
          setupFiles: ["tests/setup-globs.ts"],
          include: ["tests/unit/**/*.test.ts", "tests/e2e/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        plugins: [templates],
        test: {
          name: "matrix",
          setupFiles: ["tests/setup-globs.ts"],
          include: ["tests/matrix/**/*.test.ts", "tests/ledger/**/*.test.ts", "tests/slow/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
