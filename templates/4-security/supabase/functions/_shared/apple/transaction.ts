/**
 * What a verified StoreKit 2 transaction must say before it may credit
 * anyone: our app, the environment this backend serves, a consumable, not
 * revoked, and (when the app set it) bought by this very user.
 */

export type AppleEnvironment = "Production" | "Sandbox";

export interface AppleAppConfig {
  bundleId: string;
  /** The environment this deployment serves (APPLE_ENVIRONMENT). */
  environment: AppleEnvironment;
  /**
   * Also accept Sandbox purchases on a Production deployment
   * (APPLE_ALLOW_SANDBOX=true). App Review buys with sandbox accounts
   * against your production backend; sandbox purchases cost nothing, so this
   * is off by default and such purchases are recorded with environment
   * "Sandbox" so they can be told apart.
   */
  allowSandbox: boolean;
}

/** The fields of JWSTransactionDecodedPayload this backend relies on. */
export interface AppleTransaction {
  transactionId: string;
  originalTransactionId: string | null;
  bundleId: string;
  productId: string;
  type: string;
  environment: string;
  appAccountToken: string | null;
  quantity: number;
  revocationDate: number | null;
}

/** A reason the transaction cannot be credited (400 invalid_purchase). */
export class InvalidTransactionError extends Error {
  override name = "InvalidTransactionError";
}

export function parseTransaction(payload: Record<string, unknown>): AppleTransaction {
  const text = (key: string): string => {
    const value = payload[key];
    if (typeof value !== "string" || value === "") {
      throw new InvalidTransactionError(`transaction has no ${key}`);
    }
    return value;
  };
  const optionalText = (key: string): string | null =>
    typeof payload[key] === "string" && payload[key] !== "" ? payload[key] as string : null;
  return {
    transactionId: text("transactionId"),
    originalTransactionId: optionalText("originalTransactionId"),
    bundleId: text("bundleId"),
    productId: text("productId"),
    type: text("type"),
    environment: text("environment"),
    appAccountToken: optionalText("appAccountToken"),
    quantity: typeof payload.quantity === "number" ? payload.quantity : 1,
    revocationDate: typeof payload.revocationDate === "number" ? payload.revocationDate : null,
  };
}

/** Throws InvalidTransactionError unless `environment` is one this deployment serves. */
export function checkEnvironment(environment: unknown, config: AppleAppConfig): void {
  const accepted = environment === config.environment ||
    (environment === "Sandbox" && config.allowSandbox);
  if (!accepted) {
    throw new InvalidTransactionError(
      `environment ${String(environment)} is not served here (expected ${config.environment})`,
    );
  }
}

export function checkBundle(bundleId: unknown, config: AppleAppConfig): void {
  if (bundleId !== config.bundleId) {
    throw new InvalidTransactionError(`bundle id ${String(bundleId)} is not this app's`);
  }
}

/** Every rule a purchase must pass before `userId` may be credited for it. */
export function checkPurchase(tx: AppleTransaction, config: AppleAppConfig, userId: string): void {
  checkBundle(tx.bundleId, config);
  checkEnvironment(tx.environment, config);
  if (tx.type !== "Consumable") {
    throw new InvalidTransactionError(`type ${tx.type} is not a consumable credit pack`);
  }
  if (tx.revocationDate !== null) {
    throw new InvalidTransactionError("the transaction was refunded or revoked");
  }
  // credit_purchase credits one pack per transaction: a multi-quantity
  // purchase would be under-credited, so it is refused loudly instead.
  if (tx.quantity !== 1) {
    throw new InvalidTransactionError(`quantity ${tx.quantity} is not supported (buy one pack)`);
  }
  // The app sets appAccountToken to the Supabase user id at purchase time;
  // a mismatch means the signed transaction was taken from another account.
  if (tx.appAccountToken !== null && tx.appAccountToken.toLowerCase() !== userId.toLowerCase()) {
    throw new InvalidTransactionError("the transaction belongs to another account");
  }
}
