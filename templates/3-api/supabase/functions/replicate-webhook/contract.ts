/** The contract of POST /replicate-webhook (see _shared/contract/webhook.ts). */
import { providerWebhookContract } from "../_shared/contract/webhook.ts";

export const REPLICATE_WEBHOOK = providerWebhookContract(
  "replicate",
  "Signed by Replicate (Standard Webhooks HMAC with this account's secret).",
);
