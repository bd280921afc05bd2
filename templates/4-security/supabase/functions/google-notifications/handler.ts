/**
 * POST /google-notifications — Google Play real-time developer notifications,
 * pushed by Pub/Sub with an OIDC token (401 without a valid one).
 *
 * voidedPurchaseNotification of a one-time product (refund, chargeback,
 * cancellation) takes the purchase's credits back: revoke_purchase on the
 * purchase token, which verify-purchase used as the transaction id. A void of
 * a purchase not verified yet is remembered (a tombstone), so verifying it
 * later answers 409 transaction_revoked and credits nothing.
 *
 * Order: act, then record the Pub/Sub messageId. revoke_purchase is
 * idempotent, so a redelivery is harmless; recording first would let a crash
 * in between drop the refund for good. The record keeps repeats from alerting
 * twice. Other notifications are signals only (the app verifies purchases
 * itself) and are acknowledged with 200.
 */
import type { Db } from "../_shared/db.ts";
import { HttpError, json, readJsonObject, requireMethod, respond } from "../_shared/http.ts";
import { alertOf, type Alerts } from "../_shared/alerts.ts";
import { logger, tag } from "../_shared/log.ts";
import type { PubSubAuth } from "../_shared/google/pubsub.ts";
import { alertForged } from "../_shared/iap/credit.ts";

export interface GoogleNotificationsDeps {
  db: Pick<Db, "revokePurchase" | "recordWebhookEvent">;
  verifyPush: PubSubAuth;
  packageName: string;
  alerts: Alerts;
}

interface DeveloperNotification {
  packageName?: string;
  voidedPurchaseNotification?: { purchaseToken?: string; orderId?: string; productType?: number };
}

const ONE_TIME_PRODUCT = 2;

function decode(data: unknown): DeveloperNotification {
  if (typeof data !== "string") {
    throw new HttpError(400, "invalid_request", "message.data is missing.");
  }
  try {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as DeveloperNotification;
  } catch {
    throw new HttpError(400, "invalid_request", "message.data is not base64 JSON.");
  }
}

export function googleNotificationsHandler(
  deps: GoogleNotificationsDeps,
): (req: Request) => Promise<Response> {
  return (req) =>
    respond(req, async () => {
      requireMethod(req, "POST");
      if (!(await deps.verifyPush(req))) {
        alertForged(deps.alerts, "google_notification", "Pub/Sub OIDC token did not verify");
        throw new HttpError(401, "invalid_token", "A Pub/Sub OIDC token is required.");
      }
      const body = await readJsonObject(req);
      const message = (body.message ?? {}) as Record<string, unknown>;
      const messageId = message.messageId ?? message.message_id;
      if (typeof messageId !== "string" || messageId === "") {
        throw new HttpError(400, "invalid_request", "message.messageId is missing.");
      }
      const notification = decode(message.data);
      if (notification.packageName !== deps.packageName) {
        logger().warn("play notification for another package ignored", {
          package: notification.packageName,
        });
        return json({ ok: true, ignored: "another package" });
      }

      let revoked: string | undefined;
      const voided = notification.voidedPurchaseNotification;
      if (voided?.productType === ONE_TIME_PRODUCT && typeof voided.purchaseToken === "string") {
        tag("order_id", voided.orderId);
        const balance = await deps.db.revokePurchase("google", voided.purchaseToken);
        if (balance !== null) revoked = voided.orderId ?? "(no order id)";
        else logger().info("void of a purchase not credited here recorded");
      }
      const isNew = await deps.db.recordWebhookEvent("google", messageId);
      if (isNew && revoked) deps.alerts.alert(...alertOf.purchaseRevoked("google", revoked));
      return json({ ok: true });
    });
}
