/**
 * POST /apple-notifications — App Store Server Notifications V2 {signedPayload}.
 *
 * REFUND and REVOKE take the transaction's credits back (revoke_purchase,
 * once per transaction, never below zero). A refund of a transaction the app
 * has not sent us yet is remembered (a tombstone), so its pre-refund JWS,
 * which never expires, can never be credited later. Nothing changes unless
 * both the notification and its nested signedTransactionInfo verify (401
 * otherwise), and, as in Apple's own SignedDataVerifier, a Production
 * notification must carry this app's appAppleId when APPLE_APP_APPLE_ID is set.
 *
 * Order: act, then record the notificationUUID. revoke_purchase is itself
 * idempotent, so a redelivery is harmless; recording first would turn a crash
 * between the two steps into a refund that is never taken back, because
 * Apple's retry would be dropped as a duplicate. The record keeps repeats
 * from alerting twice.
 *
 * Other types are acknowledged with 200 so Apple stops retrying them.
 * REFUND_REVERSED is only reported to the operator: credits are not
 * re-granted automatically. CONSUMPTION_REQUEST needs an App Store Server
 * API key to answer and is only logged.
 */
import type { Db } from "../_shared/db.ts";
import { HttpError, json, readJsonObject, requireMethod, respond } from "../_shared/http.ts";
import { alertOf, type Alerts } from "../_shared/alerts.ts";
import { logger, tag } from "../_shared/log.ts";
import { type AppleJwsVerifier, InvalidSignatureError } from "../_shared/apple/jws.ts";
import {
  type AppleAppConfig,
  checkAppAppleId,
  checkBundle,
  checkEnvironment,
  InvalidTransactionError,
  parseTransaction,
} from "../_shared/apple/transaction.ts";
import { alertForged } from "../_shared/iap/credit.ts";

export interface AppleNotificationsDeps {
  db: Pick<Db, "revokePurchase" | "recordWebhookEvent">;
  verifier: AppleJwsVerifier;
  config: AppleAppConfig;
  alerts: Alerts;
}

const TAKES_CREDITS_BACK = new Set(["REFUND", "REVOKE"]);

export function appleNotificationsHandler(
  deps: AppleNotificationsDeps,
): (req: Request) => Promise<Response> {
  async function verified(jws: unknown, what: string): Promise<Record<string, unknown>> {
    if (typeof jws !== "string") throw new HttpError(400, "invalid_request", `${what} is missing.`);
    try {
      return await deps.verifier.verify(jws);
    } catch (error) {
      if (!(error instanceof InvalidSignatureError)) throw error;
      alertForged(deps.alerts, "apple_notification", `${what}: ${error.message}`);
      throw new HttpError(401, "invalid_signature", "The payload is not signed by the App Store.");
    }
  }

  return (req) =>
    respond(req, async () => {
      requireMethod(req, "POST");
      const body = await readJsonObject(req);
      const notification = await verified(body.signedPayload, "signedPayload");
      const type = String(notification.notificationType ?? "");
      const uuid = notification.notificationUUID;
      if (typeof uuid !== "string" || uuid === "") {
        throw new HttpError(400, "invalid_request", "notificationUUID is missing.");
      }
      tag("notification_type", type);
      const data = (notification.data ?? {}) as Record<string, unknown>;
      try {
        checkBundle(data.bundleId, deps.config);
        checkEnvironment(data.environment, deps.config);
        checkAppAppleId(data.environment, data.appAppleId, deps.config);
      } catch (error) {
        if (!(error instanceof InvalidTransactionError)) throw error;
        // Apple-signed, but for another app or environment: nothing to do
        // here, and a retry would not change that.
        logger().warn("apple notification ignored", { reason: error.message, type });
        return json({ ok: true, ignored: error.message });
      }

      let revoked: { transactionId: string; balance: number } | undefined;
      if (TAKES_CREDITS_BACK.has(type)) {
        const info = await verified(data.signedTransactionInfo, "signedTransactionInfo");
        let tx;
        try {
          tx = parseTransaction(info);
          checkBundle(tx.bundleId, deps.config);
        } catch (error) {
          if (!(error instanceof InvalidTransactionError)) throw error;
          throw new HttpError(400, "invalid_request", `signedTransactionInfo: ${error.message}`);
        }
        tag("transaction_id", tx.transactionId);
        const balance = await deps.db.revokePurchase("apple", tx.transactionId);
        // null: a transaction this backend never credited. Nothing to take
        // back; revoke_purchase tombstoned it so it can never be credited.
        if (balance !== null) revoked = { transactionId: tx.transactionId, balance };
        else logger().info("refund of a transaction not credited here recorded", { type });
      } else {
        logger().info("apple notification acknowledged", { type, subtype: notification.subtype });
      }
      const isNew = await deps.db.recordWebhookEvent("apple", uuid);
      if (isNew && revoked) {
        deps.alerts.alert(...alertOf.purchaseRevoked("apple", revoked.transactionId));
      }
      if (isNew && type === "REFUND_REVERSED") {
        deps.alerts.alert(
          "iap_refund_reversed:apple",
          `Apple reversed a refund (notification ${uuid}); credits were not re-granted automatically.`,
        );
      }
      return json({ ok: true });
    });
}
