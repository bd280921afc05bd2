/**
 * {store: "apple", signed_transaction}: a StoreKit 2 `Transaction.jwsRepresentation`,
 * verified locally (no call to Apple) and checked against this app.
 *
 * A transaction Apple marks as revoked (revocationDate) is Apple's own word
 * that it was refunded: it is passed to revoke_purchase (which takes back
 * credits already given, or tombstones the transaction so its earlier,
 * unrevoked JWS can never be credited) and answered 409 transaction_revoked.
 */
import type { Alerts } from "../_shared/alerts.ts";
import { type AppleJwsVerifier, InvalidSignatureError } from "../_shared/apple/jws.ts";
import {
  type AppleAppConfig,
  checkPurchase,
  InvalidTransactionError,
  parseTransaction,
} from "../_shared/apple/transaction.ts";
import {
  alertForged,
  checkBuyer,
  creditOnce,
  type CreditResult,
  invalidPurchase,
  type PurchaseLedger,
  transactionRevoked,
} from "../_shared/iap/credit.ts";
import { parseWith } from "../_shared/validate.ts";
import { ApplePurchaseBody } from "./apple_contract.ts";
import type { StoreVerifier } from "./handler.ts";

export interface AppleStoreDeps {
  verifier: AppleJwsVerifier;
  config: AppleAppConfig;
  db: PurchaseLedger;
  alerts: Alerts;
}

export function appleStore(deps: AppleStoreDeps): StoreVerifier {
  return (body, userId) => verifyApplePurchase(deps, body, userId);
}

async function verifyApplePurchase(
  { verifier, config, db, alerts }: AppleStoreDeps,
  body: Record<string, unknown>,
  userId: string,
): Promise<CreditResult> {
  const { signed_transaction: signed } = parseWith(ApplePurchaseBody, body, invalidPurchase);
  let payload: Record<string, unknown>;
  try {
    payload = await verifier.verify(signed);
  } catch (error) {
    if (!(error instanceof InvalidSignatureError)) throw error;
    alertForged(alerts, "apple_purchase", `user ${userId}: ${error.message}`);
    throw invalidPurchase("the signed transaction is not a valid App Store signature");
  }
  let tx;
  try {
    tx = parseTransaction(payload);
    checkPurchase(tx, config);
  } catch (error) {
    if (error instanceof InvalidTransactionError) throw invalidPurchase(error.message);
    throw error;
  }
  if (tx.revocationDate !== null) {
    await db.revokePurchase("apple", tx.transactionId);
    throw transactionRevoked();
  }
  checkBuyer(
    tx.appAccountToken,
    userId,
    config.allowUnboundPurchases === true,
    "buy with .appAccountToken(<the Supabase user id>)",
  );
  return await creditOnce(db, {
    userId,
    store: "apple",
    transactionId: tx.transactionId,
    productId: tx.productId,
    originalTransactionId: tx.originalTransactionId,
    environment: tx.environment,
  }, alerts);
}
