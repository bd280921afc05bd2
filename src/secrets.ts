/**
 * Every environment variable the generated Edge Functions read, in one list.
 * `.env.example`, the README's secrets table, `doctor`'s checks and the
 * secrets `deploy` sends are all derived from it, and a test checks it against
 * the variables the generated code actually reads.
 *
 * Adding a variable means adding one entry here: `check` says what a good
 * value looks like and `hint` where to get one (a unit test insists on a hint
 * for every variable a user sets).
 */
import type { HasKey } from "./plan.js";

/** What a well-formed value looks like; `doctor` runs these (src/doctor/checks.ts). */
export type SecretCheck =
  /** Anything non-empty. */
  | { kind: "text" }
  /** A value matched by `pattern`; `expect` says what it should look like. */
  | { kind: "pattern"; pattern: RegExp; expect: string }
  /** A shared secret we choose ourselves: long and random. */
  | { kind: "random"; minLength: number }
  | { kind: "url" }
  | { kind: "email" }
  /** A whole number >= min. */
  | { kind: "int"; min: number }
  | { kind: "bool" }
  | { kind: "oneOf"; values: string[] }
  /** Apple's .p8 key: a PKCS#8 PEM holding a P-256 (ES256) private key. */
  | { kind: "p8" }
  /** A Google service-account key file (JSON with client_email and private_key). */
  | { kind: "googleServiceAccount" }
  /** https://<public key>@<host>/<project id> */
  | { kind: "sentryDsn" }
  /** Must equal the option given at generation (read from video-backend.json). */
  | { kind: "option"; option: "bundleId" | "androidPackage" };

export interface EnvVar {
  name: string;
  description: string;
  /** Shown in .env.example; empty means "you must set it" (unless `required` says otherwise). */
  example: string;
  /** Written when every listed feature is on (empty = always). */
  when: HasKey[];
  /** Set by Supabase itself on the hosted platform: never asked for, never sent. */
  platform?: boolean;
  /** Only for pointing tests at local fakes; production uses the default. */
  baseUrl?: boolean;
  /** Whether deploy needs a value. Default: the example is empty (and it is not a base URL). */
  required?: boolean;
  /** What a good value looks like. Default: any text. */
  check?: SecretCheck;
  /** Where to get the value (one line, shown by doctor and in .env.example). */
  hint?: string;
}

/** Whether `doctor` insists on a value for this variable. */
export function isRequired(v: EnvVar): boolean {
  return v.required ?? (v.example === "" && !v.baseUrl && !v.platform);
}

/** Names the hosted platform sets itself: never read from .env, never sent as secrets. */
export function isPlatformName(name: string): boolean {
  return /^(SUPABASE_|SB_)/.test(name);
}

const APPLE_10 = { kind: "pattern", pattern: /^[A-Z0-9]{10}$/, expect: "10 capital letters and digits, e.g. AB12CD34EF" } as const;
const BOOL = { kind: "bool" } as const;
const URL_CHECK = { kind: "url" } as const;
const RANDOM_HINT = "choose it yourself: a long random string, e.g. `openssl rand -hex 32`";

export const ENV_VARS: readonly EnvVar[] = [
  { name: "SUPABASE_URL", description: "project URL (set by Supabase)", example: "http://127.0.0.1:54321", when: [], platform: true },
  { name: "SUPABASE_SERVICE_ROLE_KEY", description: "service role key for the credit procedures (set by Supabase)", example: "", when: [], platform: true },
  { name: "CRON_SECRET", description: "shared secret pg_cron sends to poll-jobs (also stored in Vault as cron_secret)", example: "", when: [], check: { kind: "random", minLength: 32 }, hint: RANDOM_HINT },
  { name: "PUBLIC_FUNCTIONS_URL", description: "public base URL of the functions, used in provider webhook URLs (default: SUPABASE_URL/functions/v1)", example: "", when: [], required: false, check: URL_CHECK, hint: "leave empty unless the functions are served from a custom domain: https://<domain>/functions/v1" },
  { name: "PROVIDER_SUBMIT_TIMEOUT_MS", description: "how long generate-video waits for a provider to accept a job before failing and refunding it", example: "20000", when: [], check: { kind: "int", min: 1 }, hint: "milliseconds; the default suits the providers" },
  { name: "STALE_JOB_SECONDS", description: "age after which job-status and poll-jobs ask the provider about an unfinished job", example: "120", when: [], check: { kind: "int", min: 1 }, hint: "seconds; the default suits the providers" },
  { name: "WEBHOOK_TOKEN_SECRET", description: "secret that signs the per-job token in provider webhook URLs; at least 32 random characters (openssl rand -hex 32)", example: "", when: ["webhooks"], check: { kind: "random", minLength: 32 }, hint: RANDOM_HINT },
  { name: "VIDEO_MAX_BYTES", description: "largest finished video copied to Storage, in bytes; keep it at or below Storage's upload limit (50 MB on the Free plan)", example: "52428800", when: [], check: { kind: "int", min: 1 }, hint: "bytes; raise it together with the Storage upload limit on a paid plan" },
  // TEST ONLY: lets local fakes serve videos over http on 127.0.0.1; never set in production.
  { name: "VIDEO_SOURCE_TEST_ORIGINS", description: "TEST ONLY: comma list of origins (http://127.0.0.1:port) trusted as video sources as they are; never set it in production", example: "", when: [], baseUrl: true, required: false, hint: "never set it in production (tests only)" },
  { name: "FAL_KEY", description: "fal.ai API key", example: "", when: ["fal"], check: { kind: "pattern", pattern: /^[A-Za-z0-9-]{8,}:[A-Za-z0-9]{16,}$/, expect: "KEY_ID:KEY_SECRET (both parts, with the colon)" }, hint: "fal.ai dashboard > Keys (https://fal.ai/dashboard/keys); the secret is shown once" },
  { name: "FAL_QUEUE_URL", description: "fal queue API base URL", example: "https://queue.fal.run", when: ["fal"], baseUrl: true, check: URL_CHECK, hint: "leave the default" },
  { name: "FAL_JWKS_URL", description: "fal webhook signing keys (JWKS)", example: "https://rest.alpha.fal.ai/.well-known/jwks.json", when: ["fal"], baseUrl: true, check: URL_CHECK, hint: "leave the default" },
  { name: "FAL_WEBHOOK_USER_ID", description: "your fal user id: fal-webhook accepts only deliveries fal signed for it (a refused delivery for one of your jobs logs the id it carried)", example: "", when: ["fal"], required: false, hint: "the id fal-webhook logs (\"signed for account <id>\") when it refuses a delivery for one of your own jobs; until it is set, poll-jobs collects fal jobs" },
  { name: "FAL_OUTPUT_HOSTS", description: "hosts finished fal videos may be downloaded from (comma list, *.example.com covers subdomains)", example: "fal.media,*.fal.media", when: ["fal"], hint: "leave the default unless fal serves results from another host" },
  { name: "RUNWAYML_API_SECRET", description: "Runway API secret", example: "", when: ["runway"], check: { kind: "pattern", pattern: /^key_[A-Za-z0-9]{16,}$/, expect: "key_ followed by letters and digits" }, hint: "Runway developer portal > API Keys (https://dev.runwayml.com)" },
  { name: "RUNWAY_API_URL", description: "Runway API base URL", example: "https://api.dev.runwayml.com", when: ["runway"], baseUrl: true, check: URL_CHECK, hint: "leave the default" },
  { name: "RUNWAY_OUTPUT_HOSTS", description: "hosts finished Runway videos may be downloaded from (comma list)", example: "dnznrvs05pmza.cloudfront.net,d2jqrm6oza8nb6.cloudfront.net,runway-task-artifacts.s3.amazonaws.com", when: ["runway"], hint: "leave the default unless Runway serves results from another host" },
  { name: "REPLICATE_API_TOKEN", description: "Replicate API token", example: "", when: ["replicate"], check: { kind: "pattern", pattern: /^r8_[A-Za-z0-9]{20,}$/, expect: "r8_ followed by letters and digits" }, hint: "https://replicate.com/account/api-tokens" },
  { name: "REPLICATE_WEBHOOK_SECRET", description: "Replicate webhook signing secret (whsec_…, GET /v1/webhooks/default/secret)", example: "", when: ["replicate"], check: { kind: "pattern", pattern: /^whsec_[A-Za-z0-9+/=]{16,}$/, expect: "whsec_ followed by base64" }, hint: "the `key` of: curl -H \"Authorization: Bearer $REPLICATE_API_TOKEN\" https://api.replicate.com/v1/webhooks/default/secret" },
  { name: "REPLICATE_API_URL", description: "Replicate API base URL", example: "https://api.replicate.com/v1", when: ["replicate"], baseUrl: true, check: URL_CHECK, hint: "leave the default" },
  { name: "REPLICATE_OUTPUT_HOSTS", description: "hosts finished Replicate videos may be downloaded from (comma list)", example: "replicate.delivery,*.replicate.delivery", when: ["replicate"], hint: "leave the default unless Replicate serves results from another host" },
  { name: "APPLE_TEAM_ID", description: "Apple developer Team ID (signs DeviceCheck requests)", example: "", when: ["deviceCheck"], check: APPLE_10, hint: "Apple Developer > Membership details (https://developer.apple.com/account)" },
  { name: "DEVICECHECK_KEY_ID", description: "Key ID of the DeviceCheck .p8 key", example: "", when: ["deviceCheck"], check: APPLE_10, hint: "Apple Developer > Certificates, IDs & Profiles > Keys: the key with DeviceCheck enabled" },
  { name: "DEVICECHECK_PRIVATE_KEY", description: "contents of the DeviceCheck .p8 key (PKCS#8 PEM)", example: "", when: ["deviceCheck"], check: { kind: "p8" }, hint: "the AuthKey_<KEY_ID>.p8 file downloaded when that key was created (paste it in double quotes)" },
  { name: "DEVICECHECK_DEVELOPMENT", description: "true to use Apple's development DeviceCheck host (debug/TestFlight builds)", example: "false", when: ["deviceCheck"], check: BOOL, hint: "true only for a staging backend used by debug builds" },
  // Left empty in .env.example: a value here wins over DEVICECHECK_DEVELOPMENT.
  { name: "DEVICECHECK_API_URL", description: "Apple DeviceCheck base URL (default https://api.devicecheck.apple.com, or the development host)", example: "", when: ["deviceCheck"], baseUrl: true, check: URL_CHECK, hint: "leave empty" },
  { name: "APPLE_BUNDLE_ID", description: "iOS bundle id the App Store transactions must carry", example: "", when: ["appleIap"], required: false, check: { kind: "option", option: "bundleId" }, hint: "the app's bundle id (Xcode > target > General); given at generation as --bundle-id" },
  { name: "APPLE_ALLOW_SANDBOX", description: "true to also credit Sandbox transactions (TestFlight, App Review) in production", example: "false", when: ["appleIap"], check: BOOL, hint: "true while App Review and TestFlight testers buy with Sandbox accounts" },
  { name: "APPLE_ENVIRONMENT", description: "App Store environment accepted: Production or Sandbox", example: "Production", when: ["appleIap"], check: { kind: "oneOf", values: ["Production", "Sandbox"] }, hint: "Production for the live app" },
  { name: "APPLE_ALLOW_UNBOUND_PURCHASES", description: "true to also credit App Store transactions without an appAccountToken (they go to whoever sends them first)", example: "false", when: ["appleIap"], check: BOOL, hint: "keep false unless an app version that does not set appAccountToken is still selling" },
  // Optional (left empty in .env.example): empty skips the appAppleId check.
  { name: "APPLE_APP_APPLE_ID", description: "the app's numeric Apple ID (App Store Connect › App Information); when set, Production notifications must carry it", example: "", when: ["appleIap"], required: false, check: { kind: "pattern", pattern: /^\d{6,12}$/, expect: "the numeric Apple ID, e.g. 1234567890" }, hint: "App Store Connect > your app > App Information > Apple ID (leave empty to skip the check)" },
  { name: "GOOGLE_SERVICE_ACCOUNT_JSON", description: "Play Console service account key (JSON) for the Android Publisher API", example: "", when: ["googleIap"], check: { kind: "googleServiceAccount" }, hint: "Google Cloud console > IAM > Service accounts > Keys > Add key (JSON), with the account invited in Play Console > Users and permissions (paste it in single quotes)" },
  { name: "GOOGLE_PLAY_PACKAGE_NAME", description: "Android application id", example: "", when: ["googleIap"], required: false, check: { kind: "option", option: "androidPackage" }, hint: "the app's applicationId; given at generation as --android-package" },
  { name: "GOOGLE_ALLOW_TEST_PURCHASES", description: "true to credit Play license-tester purchases", example: "false", when: ["googleIap"], check: BOOL, hint: "true while license testers buy" },
  { name: "GOOGLE_ALLOW_UNBOUND_PURCHASES", description: "true to also credit Play purchases without an obfuscatedAccountId (they go to whoever sends them first)", example: "false", when: ["googleIap"], check: BOOL, hint: "keep false unless an app version that does not set obfuscatedAccountId is still selling" },
  { name: "GOOGLE_PUBSUB_AUDIENCE", description: "audience of the Pub/Sub push OIDC token", example: "", when: ["googleIap"], hint: "the Audience set on the Pub/Sub push subscription (with authentication) of the RTDN topic" },
  { name: "GOOGLE_PUBSUB_SERVICE_ACCOUNT", description: "service account email Pub/Sub signs push requests as", example: "", when: ["googleIap"], check: { kind: "email" }, hint: "the service account chosen on that push subscription (…@….iam.gserviceaccount.com)" },
  { name: "GOOGLE_OAUTH_TOKEN_URL", description: "Google OAuth token endpoint", example: "https://oauth2.googleapis.com/token", when: ["googleIap"], baseUrl: true, check: URL_CHECK, hint: "leave the default" },
  { name: "GOOGLE_PLAY_API_URL", description: "Android Publisher API base URL", example: "https://androidpublisher.googleapis.com", when: ["googleIap"], baseUrl: true, check: URL_CHECK, hint: "leave the default" },
  { name: "GOOGLE_JWKS_URL", description: "Google signing keys for Pub/Sub OIDC tokens", example: "https://www.googleapis.com/oauth2/v3/certs", when: ["googleIap"], baseUrl: true, check: URL_CHECK, hint: "leave the default" },
  { name: "REVENUECAT_WEBHOOK_AUTH", description: "Authorization header value set in the RevenueCat webhook settings", example: "", when: ["revenuecat"], check: { kind: "random", minLength: 24 }, hint: `${RANDOM_HINT}; paste the same value in RevenueCat > Integrations > Webhooks > Authorization header` },
  { name: "REVENUECAT_ALLOW_SANDBOX", description: "true to credit RevenueCat SANDBOX events", example: "false", when: ["revenuecat"], check: BOOL, hint: "true while testing with sandbox purchases" },
  { name: "SENTRY_DSN", description: "Sentry DSN; unset turns Sentry off", example: "", when: ["sentry"], check: { kind: "sentryDsn" }, hint: "Sentry > Project settings > Client Keys (DSN)" },
  { name: "SENTRY_ENVIRONMENT", description: "Sentry environment name", example: "production", when: ["sentry"], hint: "any name, e.g. production" },
  { name: "SB_REGION", description: "region of the function (set by Supabase, tagged in Sentry)", example: "", when: ["sentry"], platform: true },
  { name: "SB_EXECUTION_ID", description: "execution id (set by Supabase, tagged in Sentry)", example: "", when: ["sentry"], platform: true },
  { name: "TELEGRAM_BOT_TOKEN", description: "Telegram bot token for operator alerts", example: "", when: ["telegram"], check: { kind: "pattern", pattern: /^\d{5,12}:[A-Za-z0-9_-]{30,}$/, expect: "<bot id>:<secret>, e.g. 123456789:AA…" }, hint: "@BotFather on Telegram: /newbot (or /token for an existing bot)" },
  { name: "TELEGRAM_CHAT_ID", description: "Telegram chat (or @channel) that receives alerts", example: "", when: ["telegram"], check: { kind: "pattern", pattern: /^(-?\d{3,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/, expect: "a numeric chat id (groups are negative, e.g. -1001234567890) or @channelname" }, hint: "add the bot to the chat, send a message, then read chat.id from https://api.telegram.org/bot<token>/getUpdates" },
  { name: "TELEGRAM_API_URL", description: "Telegram Bot API base URL", example: "https://api.telegram.org", when: ["telegram"], baseUrl: true, check: URL_CHECK, hint: "leave the default" },
];
