/**
 * The contract of a store's notification endpoint (apple-notifications,
 * google-notifications, revenuecat-webhook): called by the store, never by
 * apps. The payload is the store's own format, checked by its signature or
 * secret in the handler; the document only points to it.
 */
import {
  COMMON_ERRORS,
  type EndpointContract,
  type ErrorCodes,
  errors,
  type SecurityScheme,
  z,
} from "./schema.ts";

export const NotificationAck = z.strictObject({
  ok: z.literal(true),
  ignored: z.string().optional().describe("Why the notification changed nothing."),
}).meta({ id: "NotificationAck" });

export interface StoreNotification {
  name: string;
  operationId: string;
  summary: string;
  description: string;
  payload: string;
  security: SecurityScheme | null;
  errors: Record<number, ErrorCodes>;
}

export function storeNotificationContract(n: StoreNotification): EndpointContract {
  return {
    name: n.name,
    method: "post",
    audience: "provider",
    operationId: n.operationId,
    summary: n.summary,
    description: n.description,
    security: [n.security],
    body: {
      schema: z.record(z.string(), z.unknown()),
      description: n.payload,
      example: {},
    },
    responses: {
      200: {
        description: "Acknowledged (also repeats and notifications that change nothing).",
        body: NotificationAck,
        example: { ok: true },
      },
    },
    errors: errors(
      { 400: { invalid_request: "The body must be a JSON object." } },
      n.errors,
      COMMON_ERRORS,
    ),
  };
}
