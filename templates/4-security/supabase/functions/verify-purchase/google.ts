/**
 * {store: "google", product_id, purchase_token}: asked of the Google Play
 * Developer API (purchases.products.get), credited, THEN consumed.
 *
 * The store transaction id is the purchase token: every purchase has one
 * (orderId is missing for some promo and test purchases), it is the key of
 * consume and of voided-purchase notifications. The orderId is kept as
 * original_transaction_id for support look-ups.
 *
 * Consume after the credit is committed: a failed consume keeps the credit
 * (the next verify call of the same purchase answers credits_added 0 and
 * consumes again). An unconsumed purchase is refunded by Google after three
 * days, and that refund arrives as a voided-purchase notification.
 */
import { HttpError } from "../_shared/http.ts";
import type { Alerts } from "../_shared/alerts.ts";
import { logger } from "../_shared/log.ts";
import { type PlayApi, PlayApiError } from "../_shared/google/play.ts";
import {
  checkBuyer,
  creditOnce,
  type CreditResult,
  invalidPurchase,
  type PurchaseLedger,
} from "../_shared/iap/credit.ts";
import { parseWith } from "../_shared/validate.ts";
import { GooglePurchaseBody } from "./google_contract.ts";
import type { StoreVerifier } from "./handler.ts";

export interface GoogleStoreDeps {
  play: PlayApi;
  /** Accept license-tester purchases (GOOGLE_ALLOW_TEST_PURCHASES=true). */
  allowTestPurchases: boolean;
  /**
   * Also credit purchases without an obfuscatedAccountId
   * (GOOGLE_ALLOW_UNBOUND_PURCHASES=true); off by default (see checkBuyer).
   */
  allowUnboundPurchases?: boolean;
  db: PurchaseLedger;
  alerts: Alerts;
}

export function googleStore(deps: GoogleStoreDeps): StoreVerifier {
  return (body, userId) => verifyGooglePurchase(deps, body, userId);
}

const PURCHASED = 0;
const CONSUMED = 1;
const TEST_PURCHASE = 0;

function storeUnavailable(): HttpError {
  return new HttpError(
    502,
    "store_unavailable",
    "Google Play did not answer; nothing was credited. Please retry.",
  );
}

async function verifyGooglePurchase(
  { play, allowTestPurchases, allowUnboundPurchases, db, alerts }: GoogleStoreDeps,
  body: Record<string, unknown>,
  userId: string,
): Promise<CreditResult> {
  const { product_id: productId, purchase_token: token } = parseWith(
    GooglePurchaseBody,
    body,
    invalidPurchase,
  );
  const purchase = await play.getProductPurchase(productId, token).catch((error) => {
    if (error instanceof PlayApiError) throw storeUnavailable();
    throw error;
  });
  if (!purchase) throw invalidPurchase("Google Play does not know this purchase");
  if (purchase.purchaseState !== PURCHASED) {
    // Pending (2) purchases are not paid yet; canceled (1) never will be.
    throw invalidPurchase(`the purchase is not completed (state ${purchase.purchaseState})`);
  }
  if (purchase.purchaseType === TEST_PURCHASE && !allowTestPurchases) {
    throw invalidPurchase("test purchases are not accepted by this deployment");
  }
  if ((purchase.quantity ?? 1) !== 1) {
    throw invalidPurchase(`quantity ${purchase.quantity} is not supported (buy one pack)`);
  }
  // The app passes the Supabase user id as obfuscatedAccountId when it
  // launches the billing flow; a mismatch means the token was taken from
  // another account.
  checkBuyer(
    purchase.obfuscatedExternalAccountId,
    userId,
    allowUnboundPurchases === true,
    "launch the billing flow with setObfuscatedAccountId(<the Supabase user id>)",
  );
  const consumed = purchase.consumptionState === CONSUMED;
  if (consumed) {
    // Only a purchase this backend credited (and then consumed) may be
    // answered again; one consumed elsewhere was never paid for here.
    const known = await db.findPurchase("google", token);
    if (!known) throw invalidPurchase("the purchase was consumed without being credited here");
  }

  const result = await creditOnce(db, {
    userId,
    store: "google",
    transactionId: token,
    productId,
    originalTransactionId: purchase.orderId ?? null,
    environment: purchase.purchaseType === TEST_PURCHASE ? "Test" : "Production",
  }, alerts);

  if (!consumed) {
    try {
      await play.consume(productId, token);
    } catch (error) {
      // The credit stands; the app's next verify call for this purchase
      // consumes it (and answers credits_added 0).
      logger().warn("play consume failed", { product_id: productId, error });
      alerts.alert(
        "google_consume_failed",
        `Consuming Play purchase ${
          purchase.orderId ?? "(no order id)"
        } of ${productId} failed after it was credited: ${
          String(error instanceof Error ? error.message : error)
        }. Google refunds it after 3 days unless the app verifies it again.`,
      );
    }
  }
  return result;
}
