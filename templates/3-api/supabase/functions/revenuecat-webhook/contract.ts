/** The contract of POST /revenuecat-webhook (see _shared/contract/store_notification.ts). */
import { storeNotificationContract } from "../_shared/contract/store_notification.ts";

export const REVENUECAT_WEBHOOK = storeNotificationContract({
  name: "revenuecat-webhook",
  operationId: "revenuecatWebhook",
  summary: "RevenueCat webhook (called by RevenueCat, not by apps)",
  description: "Purchases credit the app_user_id (the Supabase user id); refunds take back.",
  payload: "A RevenueCat webhook event: {event: {id, type, app_user_id, transaction_id, …}}.",
  security: "revenuecatAuthorization",
  errors: {
    400: { product_not_found: "product_not_found: rc_credits_100" },
    401: { unauthorized: "Wrong webhook authorization." },
  },
});
