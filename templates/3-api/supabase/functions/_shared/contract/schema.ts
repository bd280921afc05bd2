/**
 * The apps' contract, written once in zod: for every endpoint its request
 * (headers, query, body) and every answer (each success body, and the one
 * error shape `{"error": {"code", "message"}}` with the codes each status can
 * carry). The handlers validate requests with these schemas, the TypeScript
 * types of requests and answers are inferred from them, and
 * `supabase/functions/openapi.json` is generated from them (`openapi.ts`).
 *
 * Modules under `contract/` and the `contract.ts` of each function import
 * nothing but zod and each other: no Deno APIs, no I/O. That keeps them the
 * single source for the handlers, for `deno run openapi.ts`, and for the
 * generator that wrote this project (it renders the first openapi.json from
 * these same files).
 *
 * Response schemas are strict (`z.strictObject`): an answer with a field the
 * contract does not name fails the contract check of `verify`.
 */
import { z } from "zod";

export { z };

/**
 * Who calls an endpoint. Only `app` endpoints are meant for the iOS/Android
 * clients; the others are called by providers, stores or the scheduler, and
 * are marked so that no client is generated for them.
 */
export type Audience = "app" | "provider" | "scheduler";

/** The ways a caller proves who it is (OpenAPI security schemes). */
export const SECURITY_SCHEMES = {
  userJwt: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "The access token of the user's Supabase session (guests signed in anonymously included).",
  },
  serviceRoleKey: {
    type: "http",
    scheme: "bearer",
    description: "The project's service role key (operators and monitors only, never in an app).",
  },
  cronSecret: {
    type: "http",
    scheme: "bearer",
    description: "CRON_SECRET, sent by the project's pg_cron schedule.",
  },
  pubsubOidc: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "The Google-signed OIDC token of the Pub/Sub push subscription.",
  },
  revenuecatAuthorization: {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "REVENUECAT_WEBHOOK_AUTH, the value set in the RevenueCat dashboard.",
  },
} as const;
export type SecurityScheme = keyof typeof SECURITY_SCHEMES;

/** A response header a client may read. */
export interface HeaderSpec {
  description: string;
  schema: z.ZodType;
  /** Sent with every answer of that status. */
  required?: boolean;
}

/** A success answer: its JSON body and an example of it. */
export interface Answer {
  description: string;
  body: z.ZodType;
  example: unknown;
  headers?: Record<string, HeaderSpec>;
}

/** The error codes one status can carry, each with the message it is answered with. */
export type ErrorCodes = Record<string, string>;

export interface EndpointContract {
  /** The function's name, which is also its path: `/<name>`. */
  name: string;
  method: "get" | "post";
  /** Also answered for HEAD, like GET without a body (health). */
  head?: boolean;
  audience: Audience;
  operationId: string;
  summary: string;
  description: string;
  /** Any one of these may be used; `null` = no credentials needed. */
  security: (SecurityScheme | null)[];
  /** Request headers, by their canonical name (e.g. `Idempotency-Key`). */
  headers?: z.ZodObject;
  query?: z.ZodObject;
  body?: { schema: z.ZodType; example: unknown; description: string };
  /** Success answers by status. */
  responses: Record<number, Answer>;
  /** Error answers by status: the codes each can carry. */
  errors: Record<number, ErrorCodes>;
  /** Headers sent with some error answers (e.g. `Retry-After` on a 429). */
  errorHeaders?: Record<number, Record<string, HeaderSpec>>;
}

/** Merges error tables: the codes of one status from every part. */
export function errors(...parts: Record<number, ErrorCodes>[]): Record<number, ErrorCodes> {
  const merged: Record<number, ErrorCodes> = {};
  for (const part of parts) {
    for (const [status, codes] of Object.entries(part)) {
      merged[Number(status)] = { ...merged[Number(status)], ...codes };
    }
  }
  return merged;
}

/** The HTTP status an error table answers `code` with, or undefined when it never does. */
export function statusOf(table: Record<number, ErrorCodes>, code: string): number | undefined {
  for (const [status, codes] of Object.entries(table)) {
    if (Object.hasOwn(codes, code)) return Number(status);
  }
  return undefined;
}

/** Every endpoint can answer these. */
export const COMMON_ERRORS = {
  405: { method_not_allowed: "Use POST." },
  500: { internal_error: "Something went wrong on our side. Please retry." },
};

/** `authenticate()` (_shared/auth.ts) without a valid session token. */
export const UNAUTHORIZED = {
  401: { unauthorized: "Sign in first: a valid Supabase session is required." },
};

/** `readJsonObject()` (_shared/http.ts): the body is not a JSON object. */
export const NOT_JSON = {
  400: { invalid_request: "The body must be a JSON object." },
};

/** `enforceRateLimit()` (_shared/rate_limit.ts). */
export const RATE_LIMITED = {
  429: { rate_limited: "Too many requests; retry in 30 s." },
};

export const RETRY_AFTER: Record<string, HeaderSpec> = {
  "Retry-After": {
    description: "Seconds to wait before retrying (sent with `rate_limited` and `busy`).",
    schema: z.string().regex(/^\d+$/),
  },
};

/** The error body of one status, with exactly the codes it can carry. */
export function errorBody(codes: readonly string[]) {
  return z.strictObject({
    error: z.strictObject({
      code: z.enum(codes as [string, ...string[]]).describe("Stable, machine-readable code."),
      message: z.string().describe("Human-readable text, safe to show to the user."),
    }),
  });
}

/** The catalog model the document's examples use (a text-to-video model of a chosen provider). */
export interface ExampleModel {
  id: string;
  provider: string;
  cost: number;
}

/** A timestamp as PostgreSQL and JavaScript write it (RFC 3339, with offset). */
export const timestamp = () => z.iso.datetime({ offset: true });
