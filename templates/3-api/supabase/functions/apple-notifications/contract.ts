/** The contract of POST /apple-notifications (see _shared/contract/store_notification.ts). */
import { storeNotificationContract } from "../_shared/contract/store_notification.ts";

export const APPLE_NOTIFICATIONS = storeNotificationContract({
  name: "apple-notifications",
  operationId: "appleNotifications",
  summary: "App Store Server Notifications V2 (called by Apple, not by apps)",
  description: "Refunds and revocations take the purchase's credits back, once.",
  payload: "App Store Server Notifications V2: {signedPayload}, a JWS signed by Apple.",
  security: null,
  errors: {
    401: { invalid_signature: "The payload is not signed by the App Store." },
  },
});
