/** POST /fal-webhook: the shared webhook flow (_shared/webhook.ts) for fal. */
import type { JobDeps } from "../_shared/jobs.ts";
import { webhookHandler } from "../_shared/webhook.ts";

export function falWebhookHandler(deps: JobDeps): (req: Request) => Promise<Response> {
  return webhookHandler("fal", deps);
}
