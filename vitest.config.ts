import os from "node:os";
import path from "node:path";
import { defineConfig, type Plugin } from "vitest/config";
import { GENERATED_MODULE, generatedModule } from "./src/generated-modules.js";

// `virtual:cvb-templates` and `virtual:cvb-openapi` are built into the
// published CLI's engine (src/engine-build.ts); tests that import src/ get the
// same modules, made from templates/ as it is now.
const templates: Plugin = {
  name: "cvb-templates",
  resolveId: (id) => (GENERATED_MODULE.test(id) ? `\0${id}` : undefined),
  load: (id) => (id.startsWith("\0") ? generatedModule(id.slice(1), path.resolve(import.meta.dirname, "templates")) : undefined),
};

// The CLIs the tests spawn inherit this: their compile cache lives in a directory of
// this run, which tests/compile-cache.ts removes when the run ends.
process.env.CVB_COMPILE_CACHE = path.join(os.tmpdir(), `cvb-test-compile-cache-${process.pid}`);

// Two tiers: fast unit/e2e tests of the CLI, and the slow matrix that verifies
// generated projects on a real PostgreSQL with the real Supabase CLI and Deno.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [templates],
        test: {
          name: "unit",
          globalSetup: ["tests/compile-cache.ts"],
          setupFiles: ["tests/setup-globs.ts"],
          include: ["tests/unit/**/*.test.ts", "tests/e2e/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        plugins: [templates],
        test: {
          name: "matrix",
          globalSetup: ["tests/compile-cache.ts"],
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
