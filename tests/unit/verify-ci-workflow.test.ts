/**
 * The generated project's CI runs the project's own verification: pgTAP for the
 * runner's PostgreSQL, the project's package manager, then `verify`.
 */
import { describe, expect, it } from "vitest";
import { withDefaults } from "../../src/options.js";
import { PACKAGE_MANAGERS } from "../../src/options.js";
import { buildContext } from "../../src/plan.js";
import { render } from "../../src/render.js";

function workflow(pm: (typeof PACKAGE_MANAGERS)[number]): string {
  const now = new Date("2026-01-01T00:00:00Z");
  const ctx = buildContext("ci-test", withDefaults({}, {}, pm), { name: "create-video-backend", version: "0.0.0" }, now);
  const file = render(ctx, now).find((f) => f.path === ".github/workflows/ci.yml");
  if (!file) throw new Error(".github/workflows/ci.yml was not generated");
  return file.content;
}

describe(".github/workflows/ci.yml", () => {
  it("installs pgTAP for the runner's PostgreSQL, then runs verify with npm", () => {
    const yml = workflow("npm");
    expect(yml).toMatch(/node-version: 20/);
    expect(yml).toContain('sudo apt-get install -y "postgresql-${PG_MAJOR}-pgtap"');
    expect(yml).toContain("npm ci");
    expect(yml).toMatch(/run: npm run verify\n/);
    // GitHub expressions survive Handlebars.
    expect(yml).toContain("DENO_DIR: ${{ github.workspace }}/.deno-cache");
    expect(yml).not.toMatch(/pnpm|\bbun\b|yarn/);
  });

  it.each([
    ["pnpm", "pnpm install --frozen-lockfile", "run: pnpm verify"],
    ["yarn", "yarn install --frozen-lockfile", "run: yarn verify"],
    ["bun", "bun install --frozen-lockfile", "run: bun run verify"],
  ] as const)("uses %s when the project was generated for it", (pm, install, run) => {
    const yml = workflow(pm);
    expect(yml).toContain(install);
    expect(yml).toContain(run);
    expect(yml).not.toContain("npm ci");
  });

  it("is valid YAML with one job whose last step is verify", async () => {
    const yml = workflow("npm");
    // A structural check without a YAML dependency: two-space indentation only, no tabs.
    expect(yml).not.toMatch(/\t/);
    for (const line of yml.split("\n")) {
      if (line.trim() && !line.trim().startsWith("#")) expect(line.match(/^ */)![0].length % 2, line).toBe(0);
    }
    const steps = [...yml.matchAll(/^ {6}- (?:uses|name): (.+)$/gm)].map((m) => m[1]);
    expect(steps.at(-1)).toBe("Verify");
  });
});
