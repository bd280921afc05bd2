/**
 * Crediting a verified store purchase, once per store transaction.
 *
 * `credit_purchase` is the only thing that moves money: it credits once per
 * `(store, transaction_id)`, returns the balance unchanged when the same user
 * repeats, raises `transaction_already_claimed` for anyone else, even when
 * requests race, and `transaction_revoked` for a transaction the store
 * refunded (also when the refund arrived before the purchase was ever sent
 * here). The read before it only decides what to ANSWER (`credits_added`);
 * two racing first requests of one user may both report the pack, but only
 * one of them credits it.
 */
import { type Db, DbError, type Purchase } from "../db.ts";
import { HttpError } from "../http.ts";
import { alertOf, type Alerts } from "../alerts.ts";
import type { PurchaseCredited } from "../../verify-purchase/contract.ts";

export interface PurchaseRecord {
  /** Null when the buyer's account was deleted (the claim outlives it). */
  userId: string | null;
  credits: number;
  status: string;
}

export interface PurchaseLedger extends Pick<Db, "creditPurchase" | "revokePurchase"> {
  /** The credited purchase for `(store, transactionId)`, or null. */
  findPurchase(store: string, transactionId: string): Promise<PurchaseRecord | null>;
}

/** The answer of verify-purchase (its contract's PurchaseCredited). */
export type CreditResult = PurchaseCredited;

export function invalidPurchase(reason: string): HttpError {
  return new HttpError(400, "invalid_purchase", `This purchase cannot be credited: ${reason}.`);
}

export function alreadyClaimed(): HttpError {
  return new HttpError(
    409,
    "transaction_already_claimed",
    "This purchase was already credited to another account.",
  );
}

/** 409: the store refunded or revoked the purchase; it is never credited (again). */
export function transactionRevoked(): HttpError {
  return new HttpError(
    409,
    "transaction_revoked",
    "The store refunded or revoked this purchase, so it cannot be credited.",
  );
}

/** 401: the caller's token is valid but their account is gone (deleted). */
export function userNotFound(): HttpError {
  return new HttpError(
    401,
    "user_not_found",
    "This account no longer exists. Sign in again.",
  );
}

/**
 * The buyer binding: the app puts the Supabase user id into the purchase
 * (App Store `appAccountToken`, Play `obfuscatedAccountId`), the store signs
 * it, and only that user may be credited. Without a binding, the first
 * account to send the receipt gets the credits, so an unbound purchase is
 * refused unless the deployment allows it explicitly (`allowUnbound`).
 */
export function checkBuyer(
  boundTo: string | null | undefined,
  userId: string,
  allowUnbound: boolean,
  howToBind: string,
): void {
  if (!boundTo) {
    if (allowUnbound) return;
    throw new HttpError(
      400,
      "purchase_not_bound",
      `This purchase names no account, so it cannot be credited: ${howToBind}.`,
    );
  }
  if (boundTo.toLowerCase() !== userId.toLowerCase()) {
    throw new HttpError(
      403,
      "purchase_account_mismatch",
      "This purchase was made by another account.",
    );
  }
}

export async function creditOnce(
  db: PurchaseLedger,
  purchase: Purchase,
  alerts: Alerts,
): Promise<CreditResult> {
  const before = await db.findPurchase(purchase.store, purchase.transactionId);
  if (before?.status === "revoked") throw transactionRevoked();
  if (before && before.userId !== purchase.userId) throw alreadyClaimed();
  let balance: number;
  try {
    balance = await db.creditPurchase(purchase);
  } catch (error) {
    if (error instanceof DbError && error.code === "transaction_already_claimed") {
      throw alreadyClaimed();
    }
    if (error instanceof DbError && error.code === "transaction_revoked") {
      throw transactionRevoked();
    }
    if (error instanceof DbError && error.code === "user_not_found") throw userNotFound();
    if (error instanceof DbError && error.code === "product_not_found") {
      // A real, paid purchase of a product the catalog does not know: the
      // operator must add it to `products` (the user can retry after that).
      alerts.alert(
        `iap_unknown_product:${purchase.store}`,
        `${purchase.store} product ${purchase.productId} was bought (transaction ${purchase.transactionId}) but is not in public.products: add it, then the user can retry.`,
      );
      throw invalidPurchase(`unknown product ${purchase.productId}`);
    }
    throw error;
  }
  if (before) return { credits_added: 0, balance };
  const after = await db.findPurchase(purchase.store, purchase.transactionId);
  return { credits_added: after?.credits ?? 0, balance };
}

/** The alert raised for a request whose signature or token did not verify. */
export function alertForged(alerts: Alerts, source: string, detail: string): void {
  alerts.alert(...alertOf.forgedRequest(source, detail));
}
