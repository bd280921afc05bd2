/**
 * Crediting a verified store purchase, once per store transaction.
 *
 * `credit_purchase` is the only thing that moves money: it credits once per
 * `(store, transaction_id)`, returns the balance unchanged when the same user
 * repeats, and raises `transaction_already_claimed` for anyone else, even
 * when requests race. The read before it only decides what to ANSWER
 * (`credits_added`); two racing first requests of one user may both report
 * the pack, but only one of them credits it.
 */
import { type Db, DbError, type Purchase } from "../db.ts";
import { HttpError } from "../http.ts";
import { alertOf, type Alerts } from "../alerts.ts";

export interface PurchaseRecord {
  /** Null when the buyer's account was deleted (the claim outlives it). */
  userId: string | null;
  credits: number;
  status: string;
}

export interface PurchaseLedger extends Pick<Db, "creditPurchase"> {
  /** The credited purchase for `(store, transactionId)`, or null. */
  findPurchase(store: string, transactionId: string): Promise<PurchaseRecord | null>;
}

export interface CreditResult {
  credits_added: number;
  balance: number;
}

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

export async function creditOnce(
  db: PurchaseLedger,
  purchase: Purchase,
  alerts: Alerts,
): Promise<CreditResult> {
  const before = await db.findPurchase(purchase.store, purchase.transactionId);
  if (before && before.userId !== purchase.userId) throw alreadyClaimed();
  let balance: number;
  try {
    balance = await db.creditPurchase(purchase);
  } catch (error) {
    if (error instanceof DbError && error.code === "transaction_already_claimed") {
      throw alreadyClaimed();
    }
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
