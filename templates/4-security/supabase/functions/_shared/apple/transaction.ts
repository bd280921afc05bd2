/**
 * What a verified StoreKit 2 transaction must say before it may credit
 * anyone: our app, the environment this backend serves, a consumable,
 * quantity 1. Whether it was revoked and whether it was bought by this very
 * user (appAccountToken) are checked by verify-purchase (apple.ts), which
 * answers them with their own codes.
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
  /**
   * Also credit transactions without an appAccountToken
   * (APPLE_ALLOW_UNBOUND_PURCHASES=true). Off by default: an unbound
   * transaction is credited to whoever sends it first, so a leaked JWS could
   * be claimed by another account before its buyer.
   */
  allowUnboundPurchases?: boolean;
  /**
   * The app's Apple ID (App Store Connect › App Information, APPLE_APP_APPLE_ID).
   * When set, Production notifications must carry it, as Apple's
   * SignedDataVerifier requires; null/undefined skips the check.
   */
  appAppleId?: number | null;
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

/**
 * The rules that make a transaction one of this app's credit packs at all
 * (whoever sends it). verify-purchase then handles revocation and the
 * buyer binding.
 */
export function checkPurchase(tx: AppleTransaction, config: AppleAppConfig): void {
  checkBundle(tx.bundleId, config);
  checkEnvironment(tx.environment, config);
  if (tx.type !== "Consumable") {
    throw new InvalidTransactionError(`type ${tx.type} is not a consumable credit pack`);
  }
  // credit_purchase credits one pack per transaction: a multi-quantity
  // purchase would be under-credited, so it is refused loudly instead.
  if (tx.quantity !== 1) {
    throw new InvalidTransactionError(`quantity ${tx.quantity} is not supported (buy one pack)`);
  }
}

/**
 * Apple's SignedDataVerifier refuses a Production notification whose
 * appAppleId is not the app's; so does this backend when APPLE_APP_APPLE_ID
 * is set. Sandbox notifications carry no reliable appAppleId.
 */
export function checkAppAppleId(
  environment: unknown,
  appAppleId: unknown,
  config: AppleAppConfig,
): void {
  if (config.appAppleId == null || environment !== "Production") return;
  if (appAppleId !== config.appAppleId) {
    throw new InvalidTransactionError(
      `appAppleId ${String(appAppleId)} is not this app's (${config.appAppleId})`,
    );
  }
}
