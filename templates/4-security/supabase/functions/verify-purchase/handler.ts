/**
 * POST /verify-purchase {store, …} → 200 {credits_added, balance}
 *
 * Each generated store plugs in a `StoreVerifier` (apple.ts, google.ts); a
 * store that was not generated is refused. A replay by the same user adds 0;
 * the same purchase from another account is 409 transaction_already_claimed;
 * anything that is not a valid, paid purchase of this app is 400
 * invalid_purchase and credits nothing. A purchase the store refunded is 409
 * transaction_revoked; one not bound to the caller (appAccountToken /
 * obfuscatedAccountId) is 400 purchase_not_bound or 403
 * purchase_account_mismatch; a deleted account is 401 user_not_found; more
 * than the per-user limit is 429 rate_limited (Retry-After).
 */
import { type Auth, authenticate } from "../_shared/auth.ts";
import { json, readJsonObject, requireMethod, respond } from "../_shared/http.ts";
import { tag } from "../_shared/log.ts";
import { type CreditResult, invalidPurchase } from "../_shared/iap/credit.ts";
import { enforceRateLimit, type RateLimits } from "../_shared/rate_limit.ts";

/** Verifies the body's purchase for `userId` and credits it once. */
export type StoreVerifier = (
  body: Record<string, unknown>,
  userId: string,
) => Promise<CreditResult>;

export interface VerifyPurchaseDeps {
  auth: Auth;
  /** Keyed by the request's `store` value. */
  stores: Record<string, StoreVerifier>;
  /** Per-user request limit (429 rate_limited), checked before the body is read. */
  limits: RateLimits;
}

export function verifyPurchaseHandler(
  deps: VerifyPurchaseDeps,
): (req: Request) => Promise<Response> {
  return (req) =>
    respond(req, async () => {
      requireMethod(req, "POST");
      const { userId } = await authenticate(req, deps.auth);
      await enforceRateLimit(deps.limits, userId, "verify-purchase");
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
