/** The contract of POST /fal-webhook (see _shared/contract/webhook.ts). */
import { providerWebhookContract } from "../_shared/contract/webhook.ts";

export const FAL_WEBHOOK = providerWebhookContract(
  "fal",
  "Signed by fal (Ed25519, for this project's fal account).",
);
