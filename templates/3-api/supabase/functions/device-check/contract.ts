/** The contract of POST /device-check (see _shared/contract/schema.ts). */
import {
  COMMON_ERRORS,
  type EndpointContract,
  errors,
  NOT_JSON,
  RATE_LIMITED,
  RETRY_AFTER,
  UNAUTHORIZED,
  z,
} from "../_shared/contract/schema.ts";

const TOKEN_RULE = "device_token must be a DeviceCheck token.";

export const DeviceCheckBody = z.object({
  device_token: z.string({ error: TOKEN_RULE })
    .regex(/^[A-Za-z0-9+/=_-]{16,16384}$/, { error: TOKEN_RULE })
    .describe("Base64 of DCDevice.current.generateToken()."),
}).meta({ id: "DeviceCheckRequest" });
export type DeviceCheckBody = z.output<typeof DeviceCheckBody>;

export const TrialGrant = z.strictObject({
  granted: z.boolean().describe("Whether this call granted the trial credits."),
  credits: z.int().min(0).describe("The caller's balance after the call."),
}).meta({ id: "TrialGrant" });
export type TrialGrant = z.output<typeof TrialGrant>;

export const DEVICE_CHECK: EndpointContract = {
  name: "device-check",
  method: "post",
  audience: "app",
  operationId: "deviceCheck",
  summary: "Claim the trial credits of a guest, once per device and per user",
  description:
    "Send a fresh DeviceCheck token after signing in as a guest. The trial credits are granted " +
    "once per user and once per physical device (Apple's DeviceCheck bits); later calls answer " +
    "granted: false with the balance.",
  security: ["userJwt"],
  body: {
    schema: DeviceCheckBody,
    description: "A DeviceCheck token of this device.",
    example: { device_token: "AgAAAF0x1Q0FyU0Y6Wc3uVYB1cYxZm9yIGEgZGV2aWNl" },
  },
  responses: {
    200: {
      description: "The trial was granted now, or had been already (per user or per device).",
      body: TrialGrant,
      example: { granted: true, credits: 10 },
    },
  },
  errors: errors(
    NOT_JSON,
    { 400: { invalid_request: TOKEN_RULE } },
    { 400: { invalid_device_token: "Apple rejected this device token." } },
    UNAUTHORIZED,
    { 401: { user_not_found: "This account no longer exists. Sign in again." } },
    RATE_LIMITED,
    {
      502: {
        devicecheck_unavailable:
          "Apple DeviceCheck did not answer; nothing was granted. Please retry.",
      },
    },
    {
      503: {
        busy: "Too many requests are being handled right now; please retry in a few seconds.",
      },
    },
    COMMON_ERRORS,
  ),
  errorHeaders: { 429: RETRY_AFTER, 503: RETRY_AFTER },
};
