/**
 * Well-formed values for every secret a generated project can need, made
 * fresh (real keys, random tokens), and an .env writer in the forms the
 * generated README documents.
 */
import crypto from "node:crypto";
import type { GeneratedProject } from "../../src/doctor/project.js";

export function p256Pem(): string {
  const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return privateKey.export({ format: "pem", type: "pkcs8" }).toString().trim();
}

export function googleServiceAccountJson(): string {
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  return JSON.stringify({
    type: "service_account",
    project_id: "video-app",
    private_key_id: crypto.randomBytes(20).toString("hex"),
    private_key: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    client_email: "play-verifier@video-app.iam.gserviceaccount.com",
    client_id: "123456789012345678901",
    token_uri: "https://oauth2.googleapis.com/token",
  });
}

const hex = (n: number) => crypto.randomBytes(n).toString("hex");
const alnum = (n: number) => crypto.randomBytes(n * 2).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, n);

/** A good value for each variable of the registry (the ones with a default are left out). */
export function goodValues(project: GeneratedProject): Map<string, string> {
  const all: Record<string, string> = {
    CRON_SECRET: hex(32),
    WEBHOOK_TOKEN_SECRET: hex(32),
    FAL_WEBHOOK_USER_ID: crypto.randomUUID(),
    FAL_KEY: `${crypto.randomUUID()}:${hex(16)}`,
    RUNWAYML_API_SECRET: `key_${hex(32)}`,
    REPLICATE_API_TOKEN: `r8_${alnum(37)}`,
    REPLICATE_WEBHOOK_SECRET: `whsec_${crypto.randomBytes(24).toString("base64")}`,
    APPLE_TEAM_ID: "AB12CD34EF",
    DEVICECHECK_KEY_ID: "ZX98YW76VU",
    DEVICECHECK_PRIVATE_KEY: p256Pem(),
    APPLE_BUNDLE_ID: project.options.bundleId,
    GOOGLE_SERVICE_ACCOUNT_JSON: googleServiceAccountJson(),
    GOOGLE_PLAY_PACKAGE_NAME: project.options.androidPackage,
    GOOGLE_PUBSUB_AUDIENCE: `pubsub-audience-${hex(8)}`,
    GOOGLE_PUBSUB_SERVICE_ACCOUNT: "rtdn-push@video-app.iam.gserviceaccount.com",
    REVENUECAT_WEBHOOK_AUTH: hex(24),
    SENTRY_DSN: `https://${hex(16)}@o123456.ingest.sentry.io/7654321`,
    SENTRY_ENVIRONMENT: "production",
    TELEGRAM_BOT_TOKEN: `7123456789:AA${alnum(33)}`,
    TELEGRAM_CHAT_ID: "-1001234567890",
  };
  const names = new Set(project.envVars.map((v) => v.name));
  return new Map(Object.entries(all).filter(([name]) => names.has(name)));
}

/**
 * The .env a user would write following the README: the PEM pasted in double
 * quotes over several lines, the JSON key in single quotes, the rest bare.
 */
export function envText(values: ReadonlyMap<string, string>): string {
  return [...values]
    .map(([name, value]) => {
      if (value.includes("\n") && !value.startsWith("{")) return `${name}="${value}"`;
      if (value.startsWith("{")) return `${name}='${value}'`;
      return `${name}=${value}`;
    })
    .join("\n")
    .concat("\n");
}
