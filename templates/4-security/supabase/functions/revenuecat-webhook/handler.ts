/**
 * POST /revenuecat-webhook — RevenueCat events, authenticated by the
 * Authorization header value set in the RevenueCat dashboard (compared in
 * constant time; 401 otherwise).
 *
 * NON_RENEWING_PURCHASE and INITIAL_PURCHASE credit `app_user_id`, which must
 * be the Supabase user id (the app calls `Purchases.logIn(userId)` before
 * selling anything). CANCELLATION of a credited purchase that is a refund
 * takes the credits back; a subscriber merely turning auto-renew off is not.
 * A refund that arrives before its purchase event tombstones the transaction,
 * so the late purchase event credits nothing (and is acknowledged).
 *
 * Order: act, then record event.id. credit_purchase and revoke_purchase are
 * idempotent per transaction, so a redelivery changes nothing; recording
 * first would let a crash in between lose the purchase or the refund.
 * RevenueCat retries anything but 200, so errors we cannot fix by retrying
 * answer 200 and alert the operator.
 */
import { type Db, DbError } from "../_shared/db.ts";
import { HttpError, json, readJsonObject, requireMethod, respond } from "../_shared/http.ts";
import { alertOf, type Alerts } from "../_shared/alerts.ts";
import { logger, tag } from "../_shared/log.ts";
import { alertForged } from "../_shared/iap/credit.ts";

export interface RevenueCatDeps {
  db: Pick<Db, "creditPurchase" | "revokePurchase" | "recordWebhookEvent">;
  /** REVENUECAT_WEBHOOK_AUTH: the exact Authorization header value. */
  secret: string;
  /**
   * Credit SANDBOX purchases too (REVENUECAT_ALLOW_SANDBOX=true). Sandbox
   * and TestFlight purchases cost nothing, so a production backend ignores
   * them by default.
   */
  allowSandbox: boolean;
  alerts: Alerts;
}

interface RevenueCatEvent {
  id?: string;
  type?: string;
  app_user_id?: string;
  product_id?: string;
  transaction_id?: string;
  original_transaction_id?: string;
  environment?: string;
  cancel_reason?: string;
}

const CREDITS = new Set(["NON_RENEWING_PURCHASE", "INITIAL_PURCHASE"]);
/** Cancellations that stop a renewal without refunding anything. */
const NOT_A_REFUND = new Set(["UNSUBSCRIBE", "BILLING_ERROR", "PRICE_INCREASE"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Constant-time: both sides are hashed, so neither length nor content leaks. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  if (expected === "") return false;
  const digest = async (s: string) =>
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function revenueCatHandler(deps: RevenueCatDeps): (req: Request) => Promise<Response> {
  return (req) =>
    respond(req, async () => {
      requireMethod(req, "POST");
      if (!(await sameSecret(req.headers.get("authorization") ?? "", deps.secret))) {
        alertForged(deps.alerts, "revenuecat_webhook", "wrong Authorization header");
        throw new HttpError(401, "unauthorized", "Wrong webhook authorization.");
      }
      const body = await readJsonObject(req);
      const event = (body.event ?? {}) as RevenueCatEvent;
      if (typeof event.id !== "string" || event.id === "" || typeof event.type !== "string") {
        throw new HttpError(400, "invalid_request", "event.id and event.type are required.");
      }
      tag("event_type", event.type);
      let revoked: string | undefined;
      const transactionId = event.transaction_id ?? "";
      const touchesCredits = CREDITS.has(event.type) || event.type === "CANCELLATION";
      if (touchesCredits && transactionId === "") {
        throw new HttpError(400, "invalid_request", "event.transaction_id is required.");
      }
      tag("transaction_id", transactionId || undefined);

      if (CREDITS.has(event.type) && event.environment === "SANDBOX" && !deps.allowSandbox) {
        logger().info("revenuecat sandbox purchase ignored", { type: event.type });
        return json({ ok: true, ignored: "sandbox purchases are not credited here" });
      }
      if (CREDITS.has(event.type)) {
        const userId = event.app_user_id ?? "";
        if (!UUID.test(userId) || typeof event.product_id !== "string") {
          // An anonymous RevenueCat id cannot be credited; retrying won't help.
          deps.alerts.alert(
            "revenuecat_unknown_user",
            `RevenueCat purchase ${transactionId} of ${event.product_id} is for app_user_id "${userId}", not a Supabase user id: credit it by hand and make the app call Purchases.logIn(userId).`,
          );
          return json({ ok: true, ignored: "app_user_id is not a Supabase user id" });
        }
        try {
          await deps.db.creditPurchase({
            userId,
            store: "revenuecat",
            transactionId,
            productId: event.product_id,
            originalTransactionId: event.original_transaction_id ?? null,
            environment: event.environment ?? null,
          });
        } catch (error) {
          if (!(error instanceof DbError)) throw error;
          if (error.code === "transaction_revoked") {
            // Refunded before this purchase event arrived: nothing to credit,
            // nothing to fix, and a retry would not change it.
            logger().info("revenuecat purchase of a refunded transaction not credited", {
              type: event.type,
            });
            return json({ ok: true, ignored: "the transaction was refunded" });
          }
          deps.alerts.alert(
            `revenuecat_${error.code}`,
            `RevenueCat ${event.type} ${transactionId} (${event.product_id}) for ${userId} was not credited: ${error.message}`,
          );
          // product_not_found: once the product is added, RevenueCat's retry
          // credits it. Anything else (transaction_already_claimed: another
          // user owns it) will not change on retry.
          if (error.code === "product_not_found") {
            throw new HttpError(400, error.code, error.message);
          }
        }
      } else if (event.type === "CANCELLATION" && !NOT_A_REFUND.has(event.cancel_reason ?? "")) {
        const balance = await deps.db.revokePurchase("revenuecat", transactionId);
        if (balance !== null) revoked = transactionId;
      } else {
        logger().info("revenuecat event acknowledged", { type: event.type });
      }

      const isNew = await deps.db.recordWebhookEvent("revenuecat", event.id);
      if (isNew && revoked) deps.alerts.alert(...alertOf.purchaseRevoked("revenuecat", revoked));
      return json({ ok: true });
    });
}
