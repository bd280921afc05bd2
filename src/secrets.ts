/**
 * Every environment variable the generated Edge Functions read, in one list.
 * `.env.example` and the README's secrets table are rendered from it, and a
 * test checks it against the variables the generated code actually reads.
 */
import type { HasKey } from "./plan.js";

export interface EnvVar {
  name: string;
  description: string;
  /** Shown in .env.example; empty means "you must set it". */
  example: string;
  /** Written when every listed feature is on (empty = always). */
  when: HasKey[];
  /** Set by Supabase itself on the hosted platform: not a secret to set. */
  platform?: boolean;
  /** Only for pointing tests at local fakes; production uses the default. */
  baseUrl?: boolean;
}

export const ENV_VARS: readonly EnvVar[] = [
  { name: "SUPABASE_URL", description: "project URL (set by Supabase)", example: "http://127.0.0.1:54321", when: [], platform: true },
  { name: "SUPABASE_SERVICE_ROLE_KEY", description: "service role key for the credit procedures (set by Supabase)", example: "", when: [], platform: true },
  { name: "CRON_SECRET", description: "shared secret pg_cron sends to poll-jobs (also stored in Vault as cron_secret)", example: "", when: [] },
  { name: "PUBLIC_FUNCTIONS_URL", description: "public base URL of the functions, used in provider webhook URLs (default: SUPABASE_URL/functions/v1)", example: "", when: [] },
  { name: "PROVIDER_SUBMIT_TIMEOUT_MS", description: "how long generate-video waits for a provider to accept a job before failing and refunding it", example: "20000", when: [] },
  { name: "STALE_JOB_SECONDS", description: "age after which job-status and poll-jobs ask the provider about an unfinished job", example: "120", when: [] },
  { name: "FAL_KEY", description: "fal.ai API key", example: "", when: ["fal"] },
  { name: "FAL_QUEUE_URL", description: "fal queue API base URL", example: "https://queue.fal.run", when: ["fal"], baseUrl: true },
  { name: "FAL_JWKS_URL", description: "fal webhook signing keys (JWKS)", example: "https://rest.alpha.fal.ai/.well-known/jwks.json", when: ["fal"], baseUrl: true },
  { name: "RUNWAYML_API_SECRET", description: "Runway API secret", example: "", when: ["runway"] },
  { name: "RUNWAY_API_URL", description: "Runway API base URL", example: "https://api.dev.runwayml.com", when: ["runway"], baseUrl: true },
  { name: "REPLICATE_API_TOKEN", description: "Replicate API token", example: "", when: ["replicate"] },
  { name: "REPLICATE_WEBHOOK_SECRET", description: "Replicate webhook signing secret (whsec_…, GET /v1/webhooks/default/secret)", example: "", when: ["replicate"] },
  { name: "REPLICATE_API_URL", description: "Replicate API base URL", example: "https://api.replicate.com/v1", when: ["replicate"], baseUrl: true },
  { name: "APPLE_TEAM_ID", description: "Apple developer Team ID (signs DeviceCheck requests)", example: "", when: ["deviceCheck"] },
  { name: "DEVICECHECK_KEY_ID", description: "Key ID of the DeviceCheck .p8 key", example: "", when: ["deviceCheck"] },
  { name: "DEVICECHECK_PRIVATE_KEY", description: "contents of the DeviceCheck .p8 key (PKCS#8 PEM)", example: "", when: ["deviceCheck"] },
  { name: "DEVICECHECK_DEVELOPMENT", description: "true to use Apple's development DeviceCheck host (debug/TestFlight builds)", example: "false", when: ["deviceCheck"] },
  // Left empty in .env.example: a value here wins over DEVICECHECK_DEVELOPMENT.
  { name: "DEVICECHECK_API_URL", description: "Apple DeviceCheck base URL (default https://api.devicecheck.apple.com, or the development host)", example: "", when: ["deviceCheck"], baseUrl: true },
  { name: "APPLE_BUNDLE_ID", description: "iOS bundle id the App Store transactions must carry", example: "", when: ["appleIap"] },
  { name: "APPLE_ALLOW_SANDBOX", description: "true to also credit Sandbox transactions (TestFlight, App Review) in production", example: "false", when: ["appleIap"] },
  { name: "APPLE_ENVIRONMENT", description: "App Store environment accepted: Production or Sandbox", example: "Production", when: ["appleIap"] },
  { name: "APPLE_ALLOW_UNBOUND_PURCHASES", description: "true to also credit App Store transactions without an appAccountToken (they go to whoever sends them first)", example: "false", when: ["appleIap"] },
  // Optional (left empty in .env.example): empty skips the appAppleId check.
  { name: "APPLE_APP_APPLE_ID", description: "the app's numeric Apple ID (App Store Connect › App Information); when set, Production notifications must carry it", example: "", when: ["appleIap"] },
  { name: "GOOGLE_SERVICE_ACCOUNT_JSON", description: "Play Console service account key (JSON) for the Android Publisher API", example: "", when: ["googleIap"] },
  { name: "GOOGLE_PLAY_PACKAGE_NAME", description: "Android application id", example: "", when: ["googleIap"] },
  { name: "GOOGLE_ALLOW_TEST_PURCHASES", description: "true to credit Play license-tester purchases", example: "false", when: ["googleIap"] },
  { name: "GOOGLE_ALLOW_UNBOUND_PURCHASES", description: "true to also credit Play purchases without an obfuscatedAccountId (they go to whoever sends them first)", example: "false", when: ["googleIap"] },
  { name: "GOOGLE_PUBSUB_AUDIENCE", description: "audience of the Pub/Sub push OIDC token", example: "", when: ["googleIap"] },
  { name: "GOOGLE_PUBSUB_SERVICE_ACCOUNT", description: "service account email Pub/Sub signs push requests as", example: "", when: ["googleIap"] },
  { name: "GOOGLE_OAUTH_TOKEN_URL", description: "Google OAuth token endpoint", example: "https://oauth2.googleapis.com/token", when: ["googleIap"], baseUrl: true },
  { name: "GOOGLE_PLAY_API_URL", description: "Android Publisher API base URL", example: "https://androidpublisher.googleapis.com", when: ["googleIap"], baseUrl: true },
  { name: "GOOGLE_JWKS_URL", description: "Google signing keys for Pub/Sub OIDC tokens", example: "https://www.googleapis.com/oauth2/v3/certs", when: ["googleIap"], baseUrl: true },
  { name: "REVENUECAT_WEBHOOK_AUTH", description: "Authorization header value set in the RevenueCat webhook settings", example: "", when: ["revenuecat"] },
  { name: "REVENUECAT_ALLOW_SANDBOX", description: "true to credit RevenueCat SANDBOX events", example: "false", when: ["revenuecat"] },
  { name: "SENTRY_DSN", description: "Sentry DSN; unset turns Sentry off", example: "", when: ["sentry"] },
  { name: "SENTRY_ENVIRONMENT", description: "Sentry environment name", example: "production", when: ["sentry"] },
  { name: "SB_REGION", description: "region of the function (set by Supabase, tagged in Sentry)", example: "", when: ["sentry"], platform: true },
  { name: "SB_EXECUTION_ID", description: "execution id (set by Supabase, tagged in Sentry)", example: "", when: ["sentry"], platform: true },
  { name: "TELEGRAM_BOT_TOKEN", description: "Telegram bot token for operator alerts", example: "", when: ["telegram"] },
  { name: "TELEGRAM_CHAT_ID", description: "Telegram chat (or @channel) that receives alerts", example: "", when: ["telegram"] },
  { name: "TELEGRAM_API_URL", description: "Telegram Bot API base URL", example: "https://api.telegram.org", when: ["telegram"], baseUrl: true },
];
