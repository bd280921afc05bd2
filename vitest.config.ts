import { defineConfig } from "vitest/config";

// Two tiers: fast unit/e2e tests of the CLI, and the slow matrix that verifies
// generated projects on a real PostgreSQL with the real Supabase CLI and Deno.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts", "tests/e2e/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "matrix",
          include: ["tests/matrix/**/*.test.ts", "tests/ledger/**/*.test.ts", "tests/slow/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
