/** The contract of POST /google-notifications (see _shared/contract/store_notification.ts). */
import { storeNotificationContract } from "../_shared/contract/store_notification.ts";

export const GOOGLE_NOTIFICATIONS = storeNotificationContract({
  name: "google-notifications",
  operationId: "googleNotifications",
  summary: "Google Play real-time developer notifications (called by Pub/Sub, not by apps)",
  description: "Voided one-time purchases take the purchase's credits back, once.",
  payload: "A Pub/Sub push message whose data is a Play DeveloperNotification (base64 JSON).",
  security: "pubsubOidc",
  errors: {
    401: { invalid_token: "A Pub/Sub OIDC token is required." },
  },
});
