/**
 * supabase/config.toml, for every option combination, against the real
 * Supabase CLI (npm `supabase`, the version pinned in package.json).
 *
 * The CLI rejects wrongly typed values but silently ignores unknown keys, so
 * two checks: (1) the CLI loads the config, (2) every key we write exists in
 * the config.toml that the same CLI's `supabase init` (+ `functions new`) writes.
 *
 * Running the CLI costs about a second, and there are 320 distinct configs, so
 * the CLI loads one config per (auth, pg-major) with every function block, and
 * every other config is shown to be that one minus whole [functions.x] tables,
 * each identical to its validated twin (removing an optional table cannot make
 * a valid config invalid).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { parse } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Options } from "../../src/options.js";
import { buildContext, FUNCTIONS } from "../../src/plan.js";
import { render } from "../../src/render.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SUPABASE = path.join(ROOT, "node_modules/.bin/supabase");
const NOW = new Date("2026-01-01T00:00:00Z");

const AUTHS = [["apple"], ["anonymous"], ["apple", "anonymous"], ["anonymous", "devicecheck"], ["apple", "anonymous", "devicecheck"]];
const IAPS = [[], ["apple"], ["google"], ["revenuecat"], ["apple", "google"], ["apple", "revenuecat"], ["google", "revenuecat"], ["apple", "google", "revenuecat"]];
const PROVIDERS = [["fal"], ["runway"], ["replicate"], ["fal", "runway"], ["fal", "replicate"], ["runway", "replicate"], ["fal", "runway", "replicate"]];
const MONITORING = [[], ["sentry"], ["telegram"], ["sentry", "telegram"]];
const PG = [15, 17] as const;

function options(auth: string[], iap: string[], providers: string[], monitoring: string[], pgMajor: 15 | 17): Options {
  return { auth, iap, providers, monitoring, trialCredits: 10, bundleId: "com.example.videoapp", androidPackage: "com.example.videoapp", pgMajor, pm: "npm", agents: "claude" };
}

function configOf(o: Options): string {
  const file = render(buildContext("video-app", o, { name: "create-video-backend", version: "0.0.0" }, NOW), NOW)
    .find((f) => f.path === "supabase/config.toml");
  if (!file) throw new Error("no supabase/config.toml rendered");
  return file.content;
}

/** Dotted key paths of a TOML document; `functions.<name>` becomes `functions.*`. */
function keyPaths(doc: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(doc).flatMap(([key, value]) => {
    const name = prefix === "functions." ? "*" : key;
    const here = `${prefix}${name}`;
    return value && typeof value === "object" && !Array.isArray(value)
      ? [here, ...keyPaths(value as Record<string, unknown>, `${here}.`)]
      : [here];
  });
}

// Every temp dir this file makes, removed when it ends.
const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function cliLoads(toml: string): Promise<{ ok: boolean; output: string }> {
  const dir = tempDir("cvb-config-");
  fs.mkdirSync(path.join(dir, "supabase"));
  fs.writeFileSync(path.join(dir, "supabase/config.toml"), toml);
  // `status` loads and validates config.toml first, then needs Docker (absent here).
  const r = await execa(SUPABASE, ["status", "--workdir", dir], { reject: false, cwd: dir, stdin: "ignore", all: true });
  const output = r.all ?? "";
  return { ok: !/failed to (read|load|parse) config|ConfigParseError|Invalid|cannot unmarshal/i.test(output), output };
}

let referenceKeys: Set<string>;

beforeAll(async () => {
  // The keys the same CLI writes itself, including the ones it leaves commented out.
  const dir = tempDir("cvb-init-");
  await execa(SUPABASE, ["init", "--yes"], { cwd: dir, stdin: "ignore" });
  await execa(SUPABASE, ["functions", "new", "probe", "--yes"], { cwd: dir, stdin: "ignore", reject: false });
  const text = fs.readFileSync(path.join(dir, "supabase/config.toml"), "utf8")
    .split("\n")
    .map((line) => line.replace(/^# (\[[a-z_.]+\]|[a-z_]+ = .*)$/, "$1"))
    .join("\n");
  referenceKeys = new Set(keyPaths(parse(text)));
  expect(referenceKeys.has("functions.*.verify_jwt")).toBe(true);
  expect(referenceKeys.has("auth.external.apple.client_id")).toBe(true);
}, 120_000);

describe("supabase/config.toml", () => {
  // The configs the CLI loads: every auth choice and PG major, with every function.
  const full = AUTHS.flatMap((auth) =>
    PG.map((pg) => ({ auth, pg, toml: configOf(options(auth, ["apple", "google", "revenuecat"], ["fal", "runway", "replicate"], ["sentry", "telegram"], pg)) }))
  );

  it("the CLI really rejects a broken config (the check can fail)", async () => {
    const broken = full[0]!.toml.replace("jwt_expiry = 3600", 'jwt_expiry = "an hour"');
    expect((await cliLoads(broken)).ok).toBe(false);
  }, 60_000);

  it.each(full.map((f) => [f.auth.join(","), f.pg, f.toml] as const))(
    "auth %s, PG %s: the Supabase CLI loads it",
    async (_auth, _pg, toml) => {
      const result = await cliLoads(toml);
      expect(result.ok, result.output).toBe(true);
      expect(result.output).toMatch(/docker/i); // got past the config to the container check
    },
    60_000,
  );

  it("every key written exists in the CLI's own config.toml", () => {
    for (const { toml } of full) {
      const unknown = keyPaths(parse(toml)).filter((k) => !referenceKeys.has(k));
      expect(unknown).toEqual([]);
    }
  });

  it("every combination is a validated config minus whole [functions.x] tables", () => {
    let checked = 0;
    for (const auth of AUTHS) {
      for (const pg of PG) {
        const reference = parse(full.find((f) => f.auth === auth && f.pg === pg)!.toml) as Record<string, unknown>;
        const { functions: refFunctions, ...refRest } = reference as { functions: Record<string, unknown> };
        for (const iap of IAPS) {
          // Only fal and replicate change the function set; monitoring never does.
          for (const providers of [["fal"], ["runway"], ["replicate"], ["fal", "replicate"]]) {
            const o = options(auth, iap, providers, [], pg);
            const doc = parse(configOf(o)) as Record<string, unknown>;
            const { functions, ...rest } = doc as { functions: Record<string, unknown> };
            expect(rest).toEqual(refRest);
            const ctx = buildContext("video-app", o, { name: "create-video-backend", version: "0.0.0" }, NOW);
            expect(Object.keys(functions).sort()).toEqual(ctx.functions.map((f) => f.name).sort());
            for (const [name, block] of Object.entries(functions)) expect(block).toEqual(refFunctions[name]);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(AUTHS.length * PG.length * IAPS.length * 4);
  });

  it("monitoring and runway do not change the config (so they need no separate check)", () => {
    const base = configOf(options(["apple"], [], ["fal"], [], 17));
    for (const monitoring of MONITORING) {
      expect(configOf(options(["apple"], [], ["fal", "runway"], monitoring, 17))).toBe(base);
    }
    expect(PROVIDERS.length * MONITORING.length).toBe(28);
  });

  it("each function block sets verify_jwt explicitly, as the registry says", () => {
    const doc = parse(full.at(-1)!.toml) as { functions: Record<string, { verify_jwt: boolean }> };
    for (const f of FUNCTIONS) expect(doc.functions[f.name]?.verify_jwt, f.name).toBe(f.verifyJwt);
  });
});
