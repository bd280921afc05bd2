/**
 * POST /device-check {device_token} → 200 {granted, credits}
 *
 * Trial credits once per user (grant_trial_credits, in the database) and once
 * per physical device (bit0 of Apple's DeviceCheck bits).
 *
 * Order of the steps, and why:
 * 1. A user who already had their trial gets `granted: false` at once, so a
 *    second call can never spend another device's bit.
 * 2. Ask Apple for the device's bits. Any Apple error → 502, nothing changed.
 *    bit0 set → `granted: false`.
 * 3. Set bit0 at Apple BEFORE granting. The bit is the only thing that ties
 *    guest accounts to a device; if it were set after the grant, a crash or
 *    an Apple error in between would leave a granted device unmarked, and
 *    every new guest on it would get the trial again. Apple error → 502,
 *    nothing granted.
 * 4. Grant in the database (once per user, even when requests race).
 * A failure between 3 and 4 costs this user their trial; it is never silent:
 * the "device marked" log line names the user before step 4 runs, and a
 * failing grant raises an alert with the user id, so the operator can grant
 * by hand.
 * Known limit: Apple's bits have no compare-and-set, so several accounts
 * claiming from one device in the same instant can each see bit0 unset.
 * Supabase's rate limit on anonymous sign-ins bounds how many can try.
 */
import { type Auth, authenticate } from "../_shared/auth.ts";
import { type Db } from "../_shared/db.ts";
import { HttpError, json, readJsonObject, requireMethod, respond } from "../_shared/http.ts";
import { type Alerts } from "../_shared/alerts.ts";
import { logger } from "../_shared/log.ts";
import type { SecurityReads } from "../_shared/security/reads.ts";
import { type DeviceCheckApi, DeviceCheckError } from "../_shared/devicecheck/client.ts";

export interface DeviceCheckDeps {
  auth: Auth;
  db: Pick<Db, "grantTrialCredits"> & Pick<SecurityReads, "balance" | "hasTrialGrant">;
  deviceCheck: DeviceCheckApi;
  alerts: Alerts;
}

/** Base64 of DCDevice.generateToken(): a few kilobytes at most. */
const DEVICE_TOKEN = /^[A-Za-z0-9+/=_-]{16,16384}$/;

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

export function deviceCheckHandler(deps: DeviceCheckDeps): (req: Request) => Promise<Response> {
  return (req) =>
    respond(req, async () => {
      requireMethod(req, "POST");
      const { userId } = await authenticate(req, deps.auth);
      const body = await readJsonObject(req);
      const token = body.device_token;
      if (typeof token !== "string" || !DEVICE_TOKEN.test(token)) {
        throw new HttpError(400, "invalid_request", "device_token must be a DeviceCheck token.");
      }

      if (await deps.db.hasTrialGrant(userId)) {
        return json({ granted: false, credits: await deps.db.balance(userId) });
      }
      const bits = await deps.deviceCheck.queryTwoBits(token).catch(appleFailed);
      if (bits.bit0) {
        return json({ granted: false, credits: await deps.db.balance(userId) });
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
      return json({ granted: await deps.db.hasTrialGrant(userId), credits });
    });
}
