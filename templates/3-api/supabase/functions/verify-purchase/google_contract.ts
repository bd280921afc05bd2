/** The Google Play body of POST /verify-purchase. */
import { z } from "../_shared/contract/schema.ts";
import type { StoreContract } from "./contract.ts";

export const GooglePurchaseBody = z.object({
  store: z.literal("google"),
  product_id: z.string({ error: "product_id must be a Play product id" })
    .regex(/^[A-Za-z0-9._]{1,150}$/, { error: "product_id must be a Play product id" })
    .describe("The Play product id of the credit pack."),
  purchase_token: z.string({ error: "purchase_token must be a Play purchase token" })
    .regex(/^[A-Za-z0-9._:-]{8,512}$/, { error: "purchase_token must be a Play purchase token" })
    .describe("Purchase.getPurchaseToken() from Play Billing."),
}).meta({ id: "GooglePurchaseRequest" });
export type GooglePurchaseBody = z.output<typeof GooglePurchaseBody>;

export const GOOGLE_PURCHASE: StoreContract = {
  store: "google",
  body: GooglePurchaseBody,
  example: {
    store: "google",
    product_id: "com.example.videoapp.credits_100",
    purchase_token: "opaque-token-up-to-512-chars",
  },
  errors: {
    502: {
      store_unavailable: "Google Play did not answer; nothing was credited. Please retry.",
    },
  },
};
