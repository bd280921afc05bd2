/**
 * POST /verify-purchase {store, …} → 200 {credits_added, balance}
 *
 * Each generated store plugs in a `StoreVerifier` (apple.ts, google.ts); a
 * store that was not generated is refused. A replay by the same user adds 0;
 * the same purchase from another account is 409 transaction_already_claimed;
 * anything that is not a valid, paid purchase of this app is 400
 * invalid_purchase and credits nothing.
 */
import { type Auth, authenticate } from "../_shared/auth.ts";
import { json, readJsonObject, requireMethod, respond } from "../_shared/http.ts";
import { tag } from "../_shared/log.ts";
import { type CreditResult, invalidPurchase } from "../_shared/iap/credit.ts";

/** Verifies the body's purchase for `userId` and credits it once. */
export type StoreVerifier = (
  body: Record<string, unknown>,
  userId: string,
) => Promise<CreditResult>;

export interface VerifyPurchaseDeps {
  auth: Auth;
  /** Keyed by the request's `store` value. */
  stores: Record<string, StoreVerifier>;
}

export function verifyPurchaseHandler(
  deps: VerifyPurchaseDeps,
): (req: Request) => Promise<Response> {
  return (req) =>
    respond(req, async () => {
      requireMethod(req, "POST");
      const { userId } = await authenticate(req, deps.auth);
      const body = await readJsonObject(req);
      const store = typeof body.store === "string" ? body.store : "";
      if (!Object.hasOwn(deps.stores, store)) {
        const known = Object.keys(deps.stores).map((s) => `"${s}"`).join(" or ");
        throw invalidPurchase(
          known ? `store must be ${known}` : "this project verifies no store purchases here",
        );
      }
      tag("store", store);
      return json(await deps.stores[store](body, userId));
    });
}
