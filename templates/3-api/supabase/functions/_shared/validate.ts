/**
 * Requests checked against their contract (the endpoint's contract.ts): the
 * schema is the rule, and the first problem it finds is the message of the
 * 400 answer. Rules that depend on data (a model's durations, a store's
 * answer) stay in the handlers.
 */
import type { z } from "zod";
import { HttpError } from "./http.ts";

/** `value` as `schema` parses it; otherwise throws `fail(<the first problem>)`. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  fail: (message: string) => HttpError,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw fail(result.error.issues[0]?.message ?? "The request is not valid.");
}

/** 400 `invalid_request`, the answer to a request its schema refuses. */
export function invalidRequest(message: string): HttpError {
  return new HttpError(400, "invalid_request", message);
}

/** The request headers `schema` names (by canonical name; read case-insensitively). */
export function headersOf(req: Request, schema: z.ZodObject): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.keys(schema.shape).map((name) => [name, req.headers.get(name) ?? undefined]),
  );
}

/** The query parameters `schema` names. */
export function queryOf(req: Request, schema: z.ZodObject): Record<string, string | undefined> {
  const params = new URL(req.url).searchParams;
  return Object.fromEntries(
    Object.keys(schema.shape).map((name) => [name, params.get(name) ?? undefined]),
  );
}
