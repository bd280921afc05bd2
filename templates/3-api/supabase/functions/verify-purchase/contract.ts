/**
 * The contract of POST /verify-purchase (see _shared/contract/schema.ts).
 * The request body is one of the generated stores' bodies, told apart by
 * `store` (apple_contract.ts, google_contract.ts).
 */
import {
  COMMON_ERRORS,
  type EndpointContract,
  type ErrorCodes,
  errors,
  NOT_JSON,
  RATE_LIMITED,
  RETRY_AFTER,
  UNAUTHORIZED,
  z,
} from "../_shared/contract/schema.ts";

export const PurchaseCredited = z.strictObject({
  credits_added: z.int().min(0).describe("Credits this call added (0 for a replay)."),
  balance: z.int().min(0).describe("The caller's balance after the call."),
}).meta({ id: "PurchaseCredited" });
export type PurchaseCredited = z.output<typeof PurchaseCredited>;

/** What one store adds to the endpoint: its request body and its own errors. */
export interface StoreContract {
  store: string;
  /** A named (`.meta({id})`) object whose `store` is the literal store name. */
  body: z.ZodObject;
  example: Record<string, unknown>;
  errors: Record<number, ErrorCodes>;
}

/** Why a purchase cannot be credited; the message is `This purchase cannot be credited: <reason>.` */
export const INVALID_PURCHASE = "invalid_purchase";

export function verifyPurchaseContract(stores: StoreContract[]): EndpointContract {
  const names = stores.map((s) => `"${s.store}"`).join(" or ");
  const common = errors(
    NOT_JSON,
    {
      400: {
        invalid_purchase: stores.length
          ? `This purchase cannot be credited: store must be ${names}.`
          : "This purchase cannot be credited: this project verifies no store purchases here.",
      },
    },
    UNAUTHORIZED,
    RATE_LIMITED,
    COMMON_ERRORS,
  );
  const [first, ...more] = stores;
  if (!first) {
    return {
      ...base(),
      description:
        "This project credits purchases through the revenuecat-webhook; no store purchase is " +
        "verified here, so every request is refused with 400 invalid_purchase.",
      body: {
        schema: z.object({ store: z.string() }),
        description: "Refused: no store is verified here.",
        example: { store: "apple" },
      },
      responses: {},
      errors: common,
    };
  }
  const body = more.length === 0 ? first.body : z.discriminatedUnion(
    "store",
    stores.map((s) => s.body) as [z.ZodObject, ...z.ZodObject[]],
  ).meta({
    discriminator: {
      propertyName: "store",
      mapping: Object.fromEntries(
        stores.map((s) => [s.store, `#/components/schemas/${String(s.body.meta()?.id)}`]),
      ),
    },
  });
  return {
    ...base(),
    description:
      "Verifies a store purchase with the store and credits its product's credits once. A " +
      "replay by the same user adds 0; the same purchase from another account is 409 " +
      "transaction_already_claimed; a refunded one is 409 transaction_revoked. The purchase " +
      "must name the buyer: the Supabase user id as the App Store appAccountToken or the Play " +
      "obfuscatedAccountId.",
    body: { schema: body, description: "The purchase, by store.", example: first.example },
    responses: {
      200: {
        description: "Credited now, or already (credits_added 0).",
        body: PurchaseCredited,
        example: { credits_added: 100, balance: 110 },
      },
    },
    errors: errors(
      common,
      {
        400: {
          purchase_not_bound:
            "This purchase names no account, so it cannot be credited: buy with .appAccountToken(<the Supabase user id>).",
        },
      },
      { 401: { user_not_found: "This account no longer exists. Sign in again." } },
      { 403: { purchase_account_mismatch: "This purchase was made by another account." } },
      {
        409: {
          transaction_already_claimed: "This purchase was already credited to another account.",
          transaction_revoked:
            "The store refunded or revoked this purchase, so it cannot be credited.",
        },
      },
      ...stores.map((s) => s.errors),
    ),
  };
}

function base(): Omit<EndpointContract, "description" | "body" | "responses" | "errors"> {
  return {
    name: "verify-purchase",
    method: "post",
    audience: "app",
    operationId: "verifyPurchase",
    summary: "Verify a store purchase and credit it once",
    security: ["userJwt"],
    errorHeaders: { 429: RETRY_AFTER },
  };
}
