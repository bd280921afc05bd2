/**
 * POST /device-check {device_token} → 200 {granted, credits}
 *
 * Trial credits once per user (grant_trial_credits, in the database) and once
 * per physical device (bit0 of Apple's DeviceCheck bits).
 *
 * Order of the steps, and why:
 * 1. The caller must still exist: a session token outlives a deleted
 *    account, and marking a device for a user who cannot be granted would
 *    burn that device's trial for nothing (401 user_not_found; Apple is not
 *    asked). A user who already had their trial gets `granted: false` at once,
 *    so a second call can never spend another device's bit.
 * 2. Take the project-wide lease `device_check_trial` (below), and re-check
 *    the user's trial under it.
 * 3. Ask Apple for the device's bits. Any Apple error → 502, nothing changed.
 *    bit0 set → `granted: false`.
 * 4. Set bit0 at Apple BEFORE granting. The bit is the only thing that ties
 *    guest accounts to a device; if it were set after the grant, a crash or
 *    an Apple error in between would leave a granted device unmarked, and
 *    every new guest on it would get the trial again. Apple error → 502,
 *    nothing granted.
 * 5. Grant in the database (once per user, even when requests race), then
 *    release the lease.
 * A failure between 4 and 5 costs this user their trial; it is never silent:
 * the "device marked" log line names the user before step 5 runs, and a
 * failing grant raises an alert with the user id, so the operator can grant
 * by hand.
 *
 * Why a global lease: Apple's bits have no compare-and-set, so two claims
 * from one device that both query before either updates would both see bit0
 * unset. Nothing in a request identifies the device (every
 * DCDevice.generateToken() is a fresh token, and guest accounts are free),
 * so the only sound serialisation is of every claim: steps 2–5 run for one
 * request at a time across all workers. Throughput bound: a claim holds the
 * lease for one Apple query, one Apple update and a few database calls, so
 * at most 1 / (t_query + t_update + t_db) claims per second are granted;
 * with Apple answering in 100–250 ms that is about 2–5 trials per second
 * (roughly 7,000–18,000 new devices an hour). Users who already had their
 * trial never take the lease. A claim that cannot get the lease within
 * `lease.maxWaitMs` answers 503 `busy` with Retry-After. The lease expires
 * after `lease.ttlSeconds`, so a crashed worker blocks claims that long at
 * most; Apple's calls time out after 10 s each, and bit0 is only written if
 * the lease still has UPDATE_MARGIN_MS left, so the query→update window
 * always lies inside the lease.
 */
import { type Auth, authenticate } from "../_shared/auth.ts";
import { type Db } from "../_shared/db.ts";
import { HttpError, json, readJsonObject, requireMethod, respond } from "../_shared/http.ts";
import { type Alerts } from "../_shared/alerts.ts";
import { logger } from "../_shared/log.ts";
import { enforceRateLimit, type RateLimits } from "../_shared/rate_limit.ts";
import type { SecurityReads } from "../_shared/security/reads.ts";
import { type DeviceCheckApi, DeviceCheckError } from "../_shared/devicecheck/client.ts";
import { type LeaseOptions, type Leases, withLease } from "../_shared/devicecheck/lease.ts";
import { invalidRequest, parseWith } from "../_shared/validate.ts";
import { DeviceCheckBody, type TrialGrant } from "./contract.ts";

export interface DeviceCheckDeps {
  auth: Auth;
  db: Pick<Db, "grantTrialCredits"> & Pick<SecurityReads, "balance" | "hasTrialGrant"> & Leases;
  deviceCheck: DeviceCheckApi;
  alerts: Alerts;
  /** Per-user request limit (429 rate_limited), checked before anything else. */
  limits: RateLimits;
  /** The trial lease's timing; defaults to TRIAL_LEASE. */
  lease?: LeaseOptions;
}

/** The lease every trial claim of the project takes. */
export const TRIAL_LEASE_NAME = "device_check_trial";
/** 30 s covers two Apple calls of at most 10 s each; wait up to 10 s for a turn. */
export const TRIAL_LEASE: LeaseOptions = { ttlSeconds: 30, maxWaitMs: 10_000 };
/** bit0 is written only with this much of the lease left (Apple's timeout + slack). */
const UPDATE_MARGIN_MS = 12_000;

function appleFailed(error: unknown): never {
  if (error instanceof DeviceCheckError && error.badDeviceToken) {
    throw new HttpError(400, "invalid_device_token", "Apple rejected this device token.");
  }
  if (error instanceof DeviceCheckError) {
    throw new HttpError(
      502,
      "devicecheck_unavailable",
      "Apple DeviceCheck did not answer; nothing was granted. Please retry.",
    );
  }
  throw error;
}

const answer = (grant: TrialGrant) => json(grant);

export function deviceCheckHandler(deps: DeviceCheckDeps): (req: Request) => Promise<Response> {
  const leaseOptions = deps.lease ?? TRIAL_LEASE;
  return (req) =>
    respond(req, async () => {
      requireMethod(req, "POST");
      const { userId } = await authenticate(req, deps.auth);
      await enforceRateLimit(deps.limits, userId, "device-check");
      const { device_token: token } = parseWith(
        DeviceCheckBody,
        await readJsonObject(req),
        invalidRequest,
      );

      const balance = await deps.db.balance(userId);
      if (balance === null) {
        throw new HttpError(401, "user_not_found", "This account no longer exists. Sign in again.");
      }
      if (await deps.db.hasTrialGrant(userId)) {
        return answer({ granted: false, credits: balance });
      }

      return await withLease(deps.db, TRIAL_LEASE_NAME, leaseOptions, async (lease) => {
        // The same user claiming from two devices at once: the second must
        // not spend its device's bit on a user who was just granted.
        if (await deps.db.hasTrialGrant(userId)) {
          return answer({ granted: false, credits: await deps.db.balance(userId) ?? 0 });
        }
        const bits = await deps.deviceCheck.queryTwoBits(token).catch(appleFailed);
        if (bits.bit0) {
          return answer({ granted: false, credits: await deps.db.balance(userId) ?? 0 });
        }
        if (lease.remainingMs() < UPDATE_MARGIN_MS) {
          // Another claim could take over the lease while we update: stop
          // while nothing has changed.
          throw new HttpError(
            503,
            "busy",
            "Apple DeviceCheck answered too slowly; nothing was granted. Please retry.",
            { "Retry-After": "2" },
          );
        }
        await deps.deviceCheck.updateTwoBits(token, { bit0: true }).catch(appleFailed);
        logger().info("device marked for trial", { user_id: userId });
        let credits: number;
        try {
          credits = await deps.db.grantTrialCredits(userId);
        } catch (error) {
          deps.alerts.alert(
            "trial_grant_failed",
            `Trial credits for user ${userId} failed after their device was marked: ${
              String(error instanceof Error ? error.message : error)
            }. Grant them by hand (select public.grant_trial_credits('${userId}')).`,
          );
          throw error;
        }
        // Read back rather than assumed: with trial credits set to 0 nothing is granted.
        return answer({ granted: await deps.db.hasTrialGrant(userId), credits });
      });
    });
}
