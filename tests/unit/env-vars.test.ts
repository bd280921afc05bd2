/**
 * The secrets table in README/.env.example (src/secrets.ts) must list exactly
 * the environment variables the generated code reads, for each combination.
 */
import { describe, expect, it } from "vitest";
import type { Options } from "../../src/options.js";
import { buildContext } from "../../src/plan.js";
import { render } from "../../src/render.js";

const NOW = new Date("2026-01-01T00:00:00Z");
const READ = /\b(?:env|envOr|envInt|baseUrl|Deno\.env\.get)\(\s*"([A-Z][A-Z0-9_]*)"/g;

const base: Options = {
  auth: ["apple", "anonymous", "devicecheck"], iap: ["apple", "google", "revenuecat"], providers: ["fal", "runway", "replicate"],
  monitoring: ["sentry", "telegram"], trialCredits: 10, bundleId: "com.example.videoapp", androidPackage: "com.example.videoapp",
  pgMajor: 17, pm: "npm", agents: "claude",
};
base.androidPackage = "com.example.videoapp.android";

const combos: Array<[string, Options]> = [
  ["all on", base],
  ["minimal", { ...base, auth: ["anonymous"], iap: [], providers: ["runway"], monitoring: [] }],
  ["fal + apple store + sentry", { ...base, auth: ["apple"], iap: ["apple"], providers: ["fal"], monitoring: ["sentry"] }],
  ["replicate + google + telegram", { ...base, auth: ["anonymous", "devicecheck"], iap: ["google"], providers: ["replicate"], monitoring: ["telegram"] }],
  ["revenuecat only", { ...base, auth: ["apple", "anonymous"], iap: ["revenuecat"], providers: ["fal", "runway"], monitoring: [] }],
];

describe("environment variables", () => {
  for (const [name, options] of combos) {
    it(`${name}: .env.example lists exactly what the functions read`, () => {
      const ctx = buildContext("video-app", options, { name: "create-video-backend", version: "0.0.0" }, NOW);
      const files = render(ctx, NOW);
      const read = new Set<string>();
      for (const f of files) {
        if (!f.path.startsWith("supabase/functions/") || f.path.startsWith("supabase/functions/tests/")) continue;
        for (const m of f.content.matchAll(READ)) read.add(m[1]!);
      }
      const example = files.find((f) => f.path === ".env.example")!.content;
      const inExample = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
      // The platform's own variables (SUPABASE_*, SB_*) are set by Supabase: never in .env.example.
      expect(inExample.filter((v) => /^(SUPABASE_|SB_)/.test(v)), "platform names in .env.example").toEqual([]);
      const platform = ctx.envVars.filter((v) => v.platform).map((v) => v.name);
      const documented = new Set([...inExample, ...platform]);
      expect([...read].filter((v) => !documented.has(v)).sort(), "read but not documented").toEqual([]);
      expect([...documented].filter((v) => !read.has(v)).sort(), "documented but never read").toEqual([]);
      const readme = files.find((f) => f.path === "README.md")!.content;
      for (const v of ctx.envVars.filter((v) => !v.platform)) expect(readme).toContain(`\`${v.name}\``);
      // Ids given at generation are prefilled, not left for the user to retype.
      if (ctx.has.appleIap) expect(example).toMatch(new RegExp(`^APPLE_BUNDLE_ID=${options.bundleId.replaceAll(".", "\\.")}$`, "m"));
      if (ctx.has.googleIap) expect(example).toMatch(new RegExp(`^GOOGLE_PLAY_PACKAGE_NAME=${options.androidPackage.replaceAll(".", "\\.")}$`, "m"));
    });
  }
});
