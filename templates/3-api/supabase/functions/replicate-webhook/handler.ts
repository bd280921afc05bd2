/** POST /replicate-webhook: the shared webhook flow (_shared/webhook.ts) for replicate. */
import { type WebhookDeps, webhookHandler } from "../_shared/webhook.ts";

export function replicateWebhookHandler(
  deps: WebhookDeps,
): (req: Request) => Promise<Response> {
  return webhookHandler("replicate", deps);
}
