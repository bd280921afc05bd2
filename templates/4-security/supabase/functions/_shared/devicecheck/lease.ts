/**
 * A database lease (`acquire_lease` / `release_lease`): one holder at a time
 * for work that spans several calls to the outside world. device-check holds
 * the lease `device_check_trial` from Apple's query of a device's bits to the
 * trial grant, because Apple's bits cannot be tested-and-set atomically and
 * nothing a request carries identifies the device (every
 * `DCDevice.generateToken()` is a fresh token).
 *
 * Waiting is polling: a row lock cannot be held across `supabase.rpc` calls,
 * and a database session that slept inside a function would hold one of the
 * API's pooled connections for as long.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "../database.types.ts";
import { HttpError } from "../http.ts";

export interface Leases {
  /** True when `holder` now holds `name` for `ttlSeconds`. */
  acquireLease(name: string, holder: string, ttlSeconds: number): Promise<boolean>;
  /** Gives the lease back (only its holder can). */
  releaseLease(name: string, holder: string): Promise<boolean>;
}

export interface LeaseOptions {
  /** The lease expires this long after it was taken (a crashed holder blocks no longer). */
  ttlSeconds: number;
  /** How long a request waits for the lease before answering 503. */
  maxWaitMs: number;
  /** First pause between two attempts; it doubles up to 250 ms, with jitter. */
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface HeldLease {
  /** When (our clock) the lease was taken; it expires ttlSeconds later. */
  acquiredAt: number;
  /** Milliseconds of the lease left, by our clock (the database's may differ slightly). */
  remainingMs(): number;
}

/**
 * Runs `fn` while holding the lease `name`, and releases it after (a failed
 * release is harmless: the lease expires). Waits up to `maxWaitMs` for it,
 * then throws 503 `busy` with a Retry-After.
 */
export async function withLease<T>(
  leases: Leases,
  name: string,
  options: LeaseOptions,
  fn: (lease: HeldLease) => Promise<T>,
): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const holder = crypto.randomUUID();
  const deadline = now() + options.maxWaitMs;
  let pause = options.pollMs ?? 20;
  let acquiredAt: number;
  for (;;) {
    const started = now();
    if (await leases.acquireLease(name, holder, options.ttlSeconds)) {
      // Counted from before the call: the database set the expiry after it began.
      acquiredAt = started;
      break;
    }
    if (now() >= deadline) {
      throw new HttpError(
        503,
        "busy",
        "Too many requests are being handled right now; please retry in a few seconds.",
        { "Retry-After": "2" },
      );
    }
    await sleep(pause / 2 + Math.random() * pause);
    pause = Math.min(pause * 2, 250);
  }
  try {
    return await fn({
      acquiredAt,
      remainingMs: () => acquiredAt + options.ttlSeconds * 1000 - now(),
    });
  } finally {
    await leases.releaseLease(name, holder).catch(() => false);
  }
}

/** `client` must use the service role key. */
export function supabaseLeases(client: SupabaseClient<Database>): Leases {
  return {
    async acquireLease(name, holder, ttlSeconds) {
      const { data, error } = await client.rpc("acquire_lease", {
        p_name: name,
        p_holder: holder,
        p_ttl_seconds: ttlSeconds,
      });
      if (error) throw new Error(`acquire_lease: ${error.message}`);
      return data === true;
    },
    async releaseLease(name, holder) {
      const { data, error } = await client.rpc("release_lease", { p_name: name, p_holder: holder });
      if (error) throw new Error(`release_lease: ${error.message}`);
      return data === true;
    },
  };
}
