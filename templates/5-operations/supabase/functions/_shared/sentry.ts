/**
 * Sentry for every Edge Function (through `serve()` in observe.ts).
 *
 * `@sentry/deno` is pinned to 10.75.2 by the import maps
 * (supabase/functions/deno.json and each function's deno.json).
 *
 * Why it looks like this:
 * - The SDK does not isolate requests served by `Deno.serve`, and a worker
 *   serves many requests, so nothing is ever put on the global scope: every
 *   event gets its tags from the request that produced it (capture context).
 * - `defaultIntegrations: false`: no global error handlers or breadcrumbs that
 *   could mix one request's data into another's event.
 * - Events carry identifiers only (function, request id, job id, user id).
 *   `beforeSend` drops request data and scrubs bearer tokens and JWS strings,
 *   in case an error message quotes one.
 * - Off when SENTRY_DSN is unset: `sentryFromEnv()` returns undefined.
 */
import * as Sentry from "@sentry/deno";
import { scrubText } from "./log.ts";

export interface Failure {
  functionName: string;
  requestId: string;
  /** The response status; absent for an error after the response (background work). */
  status?: number;
  /** The request's tags (see `tag()` in log.ts): job_id, user_id, … */
  tags: Record<string, string>;
  /** The thrown value, for an unhandled error; absent for a handled 5xx. */
  error?: unknown;
  /** The `error.code` of a JSON error response, when there is one. */
  errorCode?: string;
}

/** What observe.ts needs from an error tracker. */
export interface ErrorReporter {
  capture(failure: Failure): void;
  /** Sends what is queued; resolves false when `timeoutMs` ran out first. */
  flush(timeoutMs: number): Promise<boolean>;
}

export interface SentryOptions {
  dsn: string;
  environment?: string;
  /** Tags on every event of this worker (region, execution id). */
  workerTags?: Record<string, string>;
}

let initialisedWith: string | undefined;

function scrubEvent(event: Sentry.ErrorEvent): Sentry.ErrorEvent {
  delete event.request;
  delete event.breadcrumbs;
  if (event.message) event.message = scrubText(event.message);
  for (const value of event.exception?.values ?? []) {
    if (value.value) value.value = scrubText(value.value);
  }
  return event;
}

/** Initialises the SDK once per worker and returns a reporter over it. */
export function sentryReporter(options: SentryOptions): ErrorReporter {
  if (initialisedWith === undefined) {
    Sentry.init({
      dsn: options.dsn,
      environment: options.environment,
      defaultIntegrations: false,
      sendDefaultPii: false,
      initialScope: { tags: options.workerTags ?? {} },
      beforeSend: scrubEvent,
    });
    initialisedWith = options.dsn;
  } else if (initialisedWith !== options.dsn) {
    throw new Error("Sentry is already initialised with another DSN in this worker.");
  }
  return {
    capture(failure) {
      const tags: Record<string, string> = {
        ...failure.tags,
        function: failure.functionName,
        request_id: failure.requestId,
      };
      if (failure.status !== undefined) tags.status = String(failure.status);
      if (failure.errorCode) tags.error_code = failure.errorCode;
      const context = {
        level: "error" as const,
        tags,
        user: failure.tags.user_id ? { id: failure.tags.user_id } : undefined,
      };
      if (failure.error !== undefined) {
        Sentry.captureException(failure.error, context);
      } else {
        const code = failure.errorCode ? ` ${failure.errorCode}` : "";
        Sentry.captureMessage(`${failure.functionName} answered ${failure.status}${code}`, {
          ...context,
          // One issue per function, status and error code, not per message text.
          fingerprint: [failure.functionName, String(failure.status), failure.errorCode ?? ""],
        });
      }
    },
    flush: (timeoutMs) => Sentry.flush(timeoutMs),
  };
}

/** Sentry when SENTRY_DSN is set, else undefined (no events, no cost). */
export function sentryFromEnv(): ErrorReporter | undefined {
  const dsn = Deno.env.get("SENTRY_DSN");
  if (!dsn) return undefined;
  const workerTags: Record<string, string> = {};
  const region = Deno.env.get("SB_REGION");
  if (region) workerTags.region = region;
  const execution = Deno.env.get("SB_EXECUTION_ID");
  if (execution) workerTags.execution_id = execution;
  return sentryReporter({
    dsn,
    environment: Deno.env.get("SENTRY_ENVIRONMENT") ?? "production",
    workerTags,
  });
}
