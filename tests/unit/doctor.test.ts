/**
 * doctor: one test per check kind (a good value passes, a bad one is named
 * with what is wrong and never echoed), the .env forms the README documents,
 * the environment override, and the registry being complete.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkValue } from "../../src/doctor/checks.js";
import { diagnose, formatProblem, runDoctor } from "../../src/doctor/index.js";
import { readGeneratedProject, readSecretValues } from "../../src/doctor/project.js";
import { envFileText } from "../../src/deploy/envfile.js";
import { redactor } from "../../src/deploy/redact.js";
import { ENV_VARS, isRequired, type SecretCheck } from "../../src/secrets.js";
import { envText, goodValues, googleServiceAccountJson, p256Pem } from "../deploy/fixtures.js";

const ctx = { options: { bundleId: "com.acme.video", androidPackage: "com.acme.video.android" } };
const checkOf = (name: string): SecretCheck | undefined => ENV_VARS.find((v) => v.name === name)!.check;

/** [variable whose check is exercised, good values, bad values] */
const cases: Array<[string, string[], string[]]> = [
  ["CRON_SECRET", [crypto.randomBytes(32).toString("hex")], ["short", "a".repeat(40)]],
  ["PUBLIC_FUNCTIONS_URL", ["https://api.acme.com/functions/v1"], ["api.acme.com/functions", "ftp://acme.com"]],
  ["STALE_JOB_SECONDS", ["120"], ["0", "2m", "-5"]],
  ["DEVICECHECK_DEVELOPMENT", ["true", "false"], ["yes", "TRUE"]],
  ["APPLE_ENVIRONMENT", ["Production", "Sandbox"], ["production", "Prod"]],
  ["GOOGLE_PUBSUB_SERVICE_ACCOUNT", ["push@acme.iam.gserviceaccount.com"], ["push-at-acme"]],
  ["APPLE_TEAM_ID", ["AB12CD34EF"], ["ab12cd34ef", "XY98ZW76V"]],
  ["FAL_KEY", [`${crypto.randomUUID()}:${"f".repeat(32)}`], [crypto.randomUUID(), "fal_abc"]],
  ["RUNWAYML_API_SECRET", [`key_${"a1".repeat(32)}`], ["sk-abcdefabcdefabcdefabcdef"]],
  ["REPLICATE_API_TOKEN", [`r8_${"Ab1".repeat(13)}`], ["Token r8_abc"]],
  ["REPLICATE_WEBHOOK_SECRET", [`whsec_${crypto.randomBytes(24).toString("base64")}`], ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]],
  ["TELEGRAM_BOT_TOKEN", [`7123456789:AA${"x".repeat(33)}`], ["7123456789", "bot7123456789:AAxx"]],
  ["TELEGRAM_CHAT_ID", ["-1001234567890", "123456789", "@acme_alerts"], ["acme alerts", "@ab"]],
  ["SENTRY_DSN", ["https://0123456789abcdef0123456789abcdef@o12345.ingest.sentry.io/6789"], ["https://o12345.ingest.sentry.io/6789", "https://key@sentry.io/", "not a url"]],
  ["DEVICECHECK_PRIVATE_KEY", [p256Pem(), p256Pem().replaceAll("\n", "\\n")], []],
  ["GOOGLE_SERVICE_ACCOUNT_JSON", [googleServiceAccountJson()], []],
  ["APPLE_BUNDLE_ID", ["com.acme.video"], ["com.acme.other"]],
  ["GOOGLE_PLAY_PACKAGE_NAME", ["com.acme.video.android"], ["org.other.app"]],
];

describe("doctor checks", () => {
  for (const [name, good, bad] of cases) {
    const kind = checkOf(name)?.kind ?? "text";
    it(`${kind} (${name}): accepts good values, names what is wrong with bad ones`, () => {
      for (const v of good) expect(checkValue(checkOf(name), v, ctx), v).toBeUndefined();
      for (const v of bad) {
        const wrong = checkValue(checkOf(name), v, ctx);
        expect(wrong, v).toBeTypeOf("string");
        if (v.length >= 6) expect(wrong).not.toContain(v);
      }
    });
  }

  it("p8: refuses an RSA key, a P-384 key, a SEC1 key and a truncated PEM", () => {
    const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const p384 = crypto.generateKeyPairSync("ec", { namedCurve: "secp384r1" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const sec1 = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ format: "pem", type: "sec1" }).toString();
    const good = p256Pem();
    const truncated = good.slice(0, 60) + good.slice(-40);
    const p8 = checkOf("DEVICECHECK_PRIVATE_KEY");
    expect(checkValue(p8, rsa.trim(), ctx)).toMatch(/rsa key, not a P-256/);
    expect(checkValue(p8, p384.trim(), ctx)).toMatch(/secp384r1, not a P-256/);
    expect(checkValue(p8, sec1.trim(), ctx)).toMatch(/SEC1/);
    expect(checkValue(p8, truncated, ctx)).toMatch(/does not parse/);
    expect(checkValue(p8, "MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg", ctx)).toMatch(/BEGIN PRIVATE KEY/);
  });

  it("googleServiceAccount: needs JSON with client_email and an RSA private_key", () => {
    const g = checkOf("GOOGLE_SERVICE_ACCOUNT_JSON");
    const good = JSON.parse(googleServiceAccountJson()) as Record<string, unknown>;
    expect(checkValue(g, "{not json", ctx)).toMatch(/not valid JSON/);
    expect(checkValue(g, JSON.stringify({ ...good, client_email: undefined }), ctx)).toMatch(/client_email/);
    expect(checkValue(g, JSON.stringify({ ...good, private_key: undefined }), ctx)).toMatch(/private_key/);
    expect(checkValue(g, JSON.stringify({ ...good, private_key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" }), ctx)).toMatch(/does not parse/);
    expect(checkValue(g, JSON.stringify({ ...good, type: "authorized_user" }), ctx)).toMatch(/not a service account/);
    // The \n escapes turned into real line breaks (double quotes in .env): JSON.parse refuses.
    expect(checkValue(g, JSON.stringify(good).replaceAll("\\n", "\n"), ctx)).toMatch(/single quotes/);
  });

  it("every value is checked for stray whitespace", () => {
    expect(checkValue(checkOf("APPLE_TEAM_ID"), "AB12CD34EF ", ctx)).toMatch(/spaces/);
  });
});

describe("the registry", () => {
  it("every variable a user sets has a hint saying where to get it", () => {
    const missing = ENV_VARS.filter((v) => !v.platform && !v.hint).map((v) => v.name);
    expect(missing).toEqual([]);
  });

  it("platform variables are never required", () => {
    expect(ENV_VARS.filter((v) => v.platform && isRequired(v))).toEqual([]);
  });
});

describe("doctor on a project", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-doctor-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const options = {
    auth: ["apple", "anonymous", "devicecheck"], iap: ["apple", "google", "revenuecat"], providers: ["fal", "runway", "replicate"],
    monitoring: ["sentry", "telegram"], trialCredits: 10, bundleId: "com.acme.video", androidPackage: "com.acme.video.android", pgMajor: 17, pm: "npm",
  };
  const projectDir = (name: string, env?: string) => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "video-backend.json"), JSON.stringify({ options }));
    if (env !== undefined) fs.writeFileSync(path.join(dir, ".env"), env);
    return dir;
  };

  it("passes with every secret in the documented .env forms (multi-line PEM in double quotes, JSON in single quotes)", () => {
    const dir = projectDir("good");
    const values = goodValues(readGeneratedProject(dir));
    fs.writeFileSync(path.join(dir, ".env"), envText(values));
    const lines: string[] = [];
    const r = runDoctor(dir, { env: {}, log: (l) => lines.push(l) });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.secrets.values.get("DEVICECHECK_PRIVATE_KEY")).toBe(values.get("DEVICECHECK_PRIVATE_KEY"));
    for (const v of values.values()) if (v.length >= 6) expect(lines.join("\n")).not.toContain(v);
  });

  it("names each missing secret, one line each with where to get it, and a missing .env", () => {
    const dir = projectDir("empty");
    const lines: string[] = [];
    const r = runDoctor(dir, { env: {}, log: (l) => lines.push(l) });
    expect(r.ok).toBe(false);
    const required = r.project.envVars.filter(isRequired).map((v) => v.name);
    expect(r.problems.map((p) => p.name).sort()).toEqual(required.sort());
    for (const name of required) {
      const line = lines.find((l) => l.startsWith(`✗ ${name}:`));
      expect(line, name).toMatch(/missing .* → \S/);
    }
    expect(lines[0]).toMatch(/no \.env: copy \.env\.example/);
  });

  it("the JSON key in double quotes is a problem that says to use single quotes", () => {
    const dir = projectDir("dq-json");
    const values = goodValues(readGeneratedProject(dir));
    const text = envText(values).replace(/^GOOGLE_SERVICE_ACCOUNT_JSON='(.*)'$/m, 'GOOGLE_SERVICE_ACCOUNT_JSON="$1"');
    fs.writeFileSync(path.join(dir, ".env"), text);
    const r = diagnose(readGeneratedProject(dir), readSecretValues(readGeneratedProject(dir), {}));
    expect(r.problems.map((p) => p.name)).toEqual(["GOOGLE_SERVICE_ACCOUNT_JSON"]);
    expect(formatProblem(r.problems[0]!)).toMatch(/single quotes/);
  });

  it("the environment overrides .env for the project's own names only; platform names in .env are warned about", () => {
    const dir = projectDir("env");
    const values = goodValues(readGeneratedProject(dir));
    fs.writeFileSync(path.join(dir, ".env"), `${envText(values)}FAL_KEY=broken\nSUPABASE_URL=http://x\nSB_REGION=eu\nMY_OWN=1\n`);
    const project = readGeneratedProject(dir);
    const good = values.get("FAL_KEY")!;
    const s = readSecretValues(project, { FAL_KEY: good, PATH: "/usr/bin", SUPABASE_SERVICE_ROLE_KEY: "x" });
    expect(s.values.get("FAL_KEY")).toBe(good);
    expect(s.source.get("FAL_KEY")).toBe("environment");
    expect(s.values.has("PATH")).toBe(false);
    expect([...s.values.keys()].filter((n) => /^(SUPABASE_|SB_)/.test(n))).toEqual([]);
    const r = diagnose(project, s);
    expect(r.ok).toBe(true);
    expect(r.warnings.join("\n")).toMatch(/SUPABASE_URL .*set by Supabase/);
    expect(r.warnings.join("\n")).toMatch(/SB_REGION .*set by Supabase/);
    expect(r.warnings.join("\n")).toMatch(/MY_OWN .*not read/);
  });

  it("a bundle id other than the generated one is named with the expected id", () => {
    const dir = projectDir("bundle");
    const values = goodValues(readGeneratedProject(dir));
    values.set("APPLE_BUNDLE_ID", "com.acme.typo");
    fs.writeFileSync(path.join(dir, ".env"), envText(values));
    const r = runDoctor(dir, { env: {}, log: () => {} });
    expect(r.problems.map(formatProblem)).toEqual([expect.stringMatching(/^✗ APPLE_BUNDLE_ID: is not com\.acme\.video, the --bundle-id/)]);
  });
});

describe("deploy's secrets file and redaction", () => {
  it("the env file handed to `supabase secrets set` parses back to exactly the values", () => {
    const values = new Map([
      ["PEM", p256Pem()],
      ["JSON", googleServiceAccountJson()],
      ["QUOTES", `it's a "value" with $HOME and \\n and #hash`],
      ["BACKTICK_AND_APOSTROPHE", "a`b'c"],
    ]);
    expect(() => envFileText(values)).not.toThrow();
    expect(() => envFileText(new Map([["X", "a'b`c\"d\\n"]]))).toThrow(/X: its value/);
  });

  it("the redactor hides a value, its JSON form and each line of a multi-line value", () => {
    const pem = p256Pem();
    const secret = crypto.randomBytes(16).toString("hex");
    const redact = redactor([pem, secret]);
    const body = pem.split("\n")[1]!;
    const out = redact(`error near '${secret}': ${JSON.stringify(pem)} line ${body}`);
    expect(out).not.toContain(secret);
    expect(out).not.toContain(body);
    expect(redact("true 120 Production")).toBe("true 120 Production");
  });
});
