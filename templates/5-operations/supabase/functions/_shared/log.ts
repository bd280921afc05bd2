/**
 * Structured logs: one JSON object per line, so the Supabase log explorer
 * (and any log drain) can filter on `request_id`, `fn`, `job_id`, ….
 *
 * Inside a request served through `serve()` (observe.ts), `logger()` returns
 * the request's logger: every line carries the request id and the tags set
 * with `tag()`. Outside a request it returns a plain root logger.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export type Level = "debug" | "info" | "warn" | "error";

/** Where finished lines go (console.log in production, an array in tests). */
export type LogSink = (line: string) => void;

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

/** What `serve()` keeps for the duration of one request. */
export interface RequestContext {
  functionName: string;
  requestId: string;
  /** Safe identifiers (job id, user id, provider…) for logs and error reports. */
  tags: Record<string, string>;
  log: Logger;
}

// Field names whose values never reach a log line or an error report, even
// when a handler passes them by mistake.
const SECRET_KEY =
  /authorization|token|secret|password|apikey|api_key|cookie|receipt|signed|signature|jws|dsn/i;

/** Replaces secret-looking values; errors become {name, message, stack}. */
export function redact(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      ...(typeof code === "string" ? { code } : {}),
      message: scrubText(value.message),
      stack: value.stack ? scrubText(value.stack) : undefined,
    };
  }
  if (typeof value === "string") return scrubText(value);
  if (value === null || typeof value !== "object" || depth > 4) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Fields = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) ? "[redacted]" : redact(v, depth + 1);
  }
  return out;
}

/**
 * Bearer tokens and JWT/JWS-shaped strings (three base64url parts) are cut out
 * of free text: an error message quoting a header must not leak a session.
 */
export function scrubText(text: string): string {
  return text
    .replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, "Bearer [redacted]")
    .replace(
      /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
      "[redacted-jwt]",
    );
}

export function createLogger(
  sink: LogSink,
  base: Fields = {},
  now: () => Date = () => new Date(),
  context?: () => Fields,
): Logger {
  const write = (level: Level, msg: string, fields?: Fields) => {
    const line = {
      ts: now().toISOString(),
      level,
      msg,
      ...base,
      ...context?.(),
      ...(fields ? (redact(fields) as Fields) : {}),
    };
    try {
      sink(JSON.stringify(line));
    } catch {
      // A log line that cannot be serialised (cycles, BigInt) must not break
      // the request that wanted to log it.
      sink(JSON.stringify({ ts: line.ts, level, msg, ...base }));
    }
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
  };
}

const storage = new AsyncLocalStorage<RequestContext>();
const rootLogger = createLogger((line) => console.log(line));

/** Runs `fn` with `ctx` as the current request context. */
export function withRequestContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** The current request's logger, or the root logger outside a request. */
export function logger(): Logger {
  return storage.getStore()?.log ?? rootLogger;
}

/**
 * Tags the current request: the value appears on every later log line and on
 * the error report if the request fails. Use it for identifiers only (job id,
 * user id, provider, store) — never for tokens, receipts or signed payloads.
 */
export function tag(key: string, value: string | number | null | undefined): void {
  const ctx = storage.getStore();
  if (!ctx || value === null || value === undefined) return;
  ctx.tags[key] = SECRET_KEY.test(key) ? "[redacted]" : scrubText(String(value)).slice(0, 200);
}
