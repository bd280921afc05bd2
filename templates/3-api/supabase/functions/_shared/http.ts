/**
 * JSON responses and the error shape every endpoint shares:
 * `{"error": {"code": "<code>", "message": "<human text>"}}`.
 *
 * Handlers throw `HttpError` for expected failures; `toErrorResponse` turns
 * anything else into a 500 without leaking internals to the caller.
 */

/** Browsers need these; native apps ignore them. */
export const corsHeaders: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers":
    "authorization, x-client-info, apikey, content-type, idempotency-key",
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  // Lets a web client read how long to wait after a 429 rate_limited.
  "Access-Control-Expose-Headers": "Retry-After",
};

export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...corsHeaders, "content-type": "application/json", ...headers },
  });
}

export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: HeadersInit = {},
): Response {
  return json({ error: { code, message } }, status, headers);
}

/** An expected failure with its contract code, e.g. `new HttpError(404, "job_not_found", …)`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers, e.g. `Retry-After` on a 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** `HttpError` → its response; anything else → 500 `internal_error` (details go to the logs). */
export function toErrorResponse(error: unknown): Response {
  if (error instanceof HttpError) {
    return errorResponse(error.status, error.code, error.message, error.headers);
  }
  return errorResponse(500, "internal_error", "Something went wrong on our side. Please retry.");
}

/** The answer to a CORS preflight, or null when `req` is not one. */
export function preflight(req: Request): Response | null {
  return req.method === "OPTIONS"
    ? new Response(null, { status: 204, headers: corsHeaders })
    : null;
}

/** Throws 405 `method_not_allowed` unless the request uses one of `methods`. */
export function requireMethod(req: Request, ...methods: string[]): void {
  if (!methods.includes(req.method)) {
    throw new HttpError(405, "method_not_allowed", `Use ${methods.join(" or ")}.`);
  }
}

/** The body as a JSON object, or 400 `invalid_request`. */
export async function readJsonObject(req: Request): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new HttpError(400, "invalid_request", "The body must be JSON.");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new HttpError(400, "invalid_request", "The body must be a JSON object.");
  }
  return body as Record<string, unknown>;
}

/**
 * Runs a handler body and maps `HttpError`s to responses, so every handler
 * answers in the contract's error shape. Anything else is rethrown: `serve()`
 * (observe.ts) logs it, reports it and answers 500 `internal_error`.
 */
export async function respond(req: Request, body: () => Promise<Response>): Promise<Response> {
  const early = preflight(req);
  if (early) return early;
  try {
    return await body();
  } catch (error) {
    if (error instanceof HttpError) return toErrorResponse(error);
    throw error;
  }
}
