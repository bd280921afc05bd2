/** The App Store body of POST /verify-purchase. */
import { z } from "../_shared/contract/schema.ts";
import type { StoreContract } from "./contract.ts";

export const ApplePurchaseBody = z.object({
  store: z.literal("apple"),
  signed_transaction: z.string({ error: "signed_transaction must be the transaction's JWS" })
    .max(65_536, { error: "signed_transaction must be the transaction's JWS" })
    .describe("StoreKit 2 Transaction.jwsRepresentation, verified here without calling Apple."),
}).meta({ id: "ApplePurchaseRequest" });
export type ApplePurchaseBody = z.output<typeof ApplePurchaseBody>;

export const APPLE_PURCHASE: StoreContract = {
  store: "apple",
  body: ApplePurchaseBody,
  example: { store: "apple", signed_transaction: "eyJhbGciOiJFUzI1NiIsIng1YyI6WyJNSUlF…" },
  errors: {},
};
