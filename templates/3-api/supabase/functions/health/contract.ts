/** The contract of GET /health (see _shared/contract/schema.ts). */
import { COMMON_ERRORS, type EndpointContract, errors, z } from "../_shared/contract/schema.ts";

const integrations = z.record(z.string(), z.boolean()).describe(
  "Integration → configured (its secret is set). Only with the service role key.",
);

export const Healthy = z.strictObject({
  ok: z.literal(true),
  database: z.literal("ok").optional().describe("Only with the service role key."),
  integrations: integrations.optional(),
}).meta({ id: "Healthy" });

export const Unhealthy = z.strictObject({
  ok: z.literal(false),
  database: z.literal("unavailable").optional().describe("Only with the service role key."),
  integrations: integrations.optional(),
  error: z.strictObject({
    code: z.enum(["database_unavailable"]),
    message: z.string(),
  }).optional().describe("Only with the service role key."),
}).meta({ id: "Unhealthy" });

export type Healthy = z.output<typeof Healthy>;
export type Unhealthy = z.output<typeof Unhealthy>;

export const HEALTH: EndpointContract = {
  name: "health",
  method: "get",
  head: true,
  audience: "app",
  operationId: "health",
  summary: "Is the backend up",
  description:
    "Public: answers {ok} only. Monitors that send the service role key also get the database " +
    "state and which integrations are configured. An app may call it to tell an outage from a " +
    "network problem.",
  security: [null, "serviceRoleKey"],
  responses: {
    200: {
      description: "The database answers.",
      body: Healthy,
      example: { ok: true },
      headers: {
        "Cache-Control": {
          description: "Always no-store.",
          schema: z.literal("no-store"),
          required: true,
        },
      },
    },
    503: {
      description: "The database does not answer.",
      body: Unhealthy,
      example: { ok: false },
      headers: {
        "Cache-Control": {
          description: "Always no-store.",
          schema: z.literal("no-store"),
          required: true,
        },
      },
    },
  },
  errors: errors(COMMON_ERRORS, { 405: { method_not_allowed: "Use GET or HEAD." } }),
};
