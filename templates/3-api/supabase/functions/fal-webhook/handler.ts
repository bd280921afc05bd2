/** POST /fal-webhook: the shared webhook flow (_shared/webhook.ts) for fal. */
import { type WebhookDeps, webhookHandler } from "../_shared/webhook.ts";

export function falWebhookHandler(
  deps: WebhookDeps,
): (req: Request) => Promise<Response> {
  return webhookHandler("fal", deps);
}
