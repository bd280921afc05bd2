/**
 * What to paste in the store and provider consoles once the functions are
 * live, per chosen store/provider. Names the variables, never their values.
 */
import type { Has } from "../plan.js";

export function consoleSteps(has: Has, functionsUrl: string): string[] {
  const url = (fn: string) => `${functionsUrl}/${fn}`;
  const out: string[] = [];
  if (has.appleIap) {
    out.push(
      "App Store Connect › your app › App Information › App Store Server Notifications: Version 2, for both",
      `  Production Server URL and Sandbox Server URL: ${url("apple-notifications")}`,
    );
  }
  if (has.googleIap) {
    out.push(
      "Google Cloud › Pub/Sub: a topic (grant google-play-developer-notifications@system.gserviceaccount.com the Publisher role)",
      `  with a push subscription to ${url("google-notifications")},`,
      "  authentication on, service account = GOOGLE_PUBSUB_SERVICE_ACCOUNT, audience = GOOGLE_PUBSUB_AUDIENCE (as in .env);",
      "  then Play Console › Monetization setup › Real-time developer notifications: that topic's name.",
    );
  }
  if (has.revenuecat) {
    out.push(
      `RevenueCat › Project settings › Integrations › Webhooks: URL ${url("revenuecat-webhook")}`,
      "  and the Authorization header value = REVENUECAT_WEBHOOK_AUTH (as in .env).",
    );
  }
  if (has.fal) out.push(`fal: nothing to paste; each generation sends fal the webhook ${url("fal-webhook")}.`);
  if (has.replicate) {
    out.push(`Replicate: nothing to paste; each prediction sends the webhook ${url("replicate-webhook")}, signed with REPLICATE_WEBHOOK_SECRET.`);
  }
  if (has.runway) out.push("Runway: nothing to paste; poll-jobs asks Runway about running tasks every minute.");
  return out;
}
