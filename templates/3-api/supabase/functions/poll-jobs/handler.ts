/**
 * POST /poll-jobs, called every minute by pg_cron (through pg_net) with
 * `Authorization: Bearer <CRON_SECRET>`:
 *
 * - asks the provider about in-flight jobs of providers without webhooks,
 *   and about jobs of the others whose webhook looks lost (no change for
 *   `staleAfterS`): `batchSize` per provider and run, least recently asked
 *   first (`claim_jobs_to_poll`), so every job is asked within
 *   ceil(in flight / batchSize) runs however many there are; each answer is
 *   recorded for the reaper;
 * - then fails and refunds jobs stuck for longer (`reap_stuck_jobs`), which
 *   spares a job the provider was not asked about since it got old.
 *
 * Without CRON_SECRET configured every call is refused: the endpoint is
 * public (verify_jwt = false), so an empty secret must never match.
 */
import { alertOf } from "../_shared/alerts.ts";
import { bearerToken } from "../_shared/auth.ts";
import { timingSafeEqual } from "../_shared/crypto.ts";
import { isFinal, type VideoJob } from "../_shared/db.ts";
import { HttpError, json, requireMethod, respond } from "../_shared/http.ts";
import { type JobDeps, refresh } from "../_shared/jobs.ts";
import { logger } from "../_shared/log.ts";
import type { PollReport } from "./contract.ts";

export interface PollJobsDeps extends JobDeps {
  cronSecret: string;
  staleAfterS: number;
  /** Jobs asked about per provider and run (the others are next in line). */
  batchSize: number;
  /** Parallel provider calls. */
  concurrency: number;
  refreshTimeoutMs: number;
}

export type { PollReport };

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

export function pollJobsHandler(deps: PollJobsDeps): (req: Request) => Promise<Response> {
  return (req) =>
    respond(req, async () => {
      requireMethod(req, "POST");
      const token = bearerToken(req) ?? "";
      if (deps.cronSecret === "" || !timingSafeEqual(token, deps.cronSecret)) {
        throw new HttpError(401, "unauthorized", "This endpoint is for the scheduler.");
      }

      const report: PollReport = {
        polled: 0,
        succeeded: 0,
        failed: 0,
        pending: 0,
        errors: 0,
        reaped: 0,
      };
      const now = deps.now();
      for (const name of Object.keys(deps.providers)) {
        // One misconfigured provider (a missing key, say) must not stop the
        // others, nor the reaper below.
        try {
          const provider = deps.providers[name];
          // Without webhooks every in-flight job is polled; with them, only jobs
          // whose webhook looks lost.
          const changedBefore = provider.hasWebhooks
            ? new Date(now.getTime() - deps.staleAfterS * 1000)
            : null;
          const jobs = await deps.db.claimJobsToPoll(name, changedBefore, deps.batchSize);
          await eachLimited(jobs, deps.concurrency, async (job: VideoJob) => {
            report.polled++;
            try {
              const after = await refresh(job, deps, AbortSignal.timeout(deps.refreshTimeoutMs));
              if (!isFinal(after)) report.pending++;
              else if (after.status === "succeeded") report.succeeded++;
              else report.failed++;
            } catch (error) {
              report.errors++;
              logger().warn("poll failed", { job_id: job.id, provider: job.provider, error });
            }
          });
        } catch (error) {
          report.errors++;
          logger().error("polling a provider failed", { provider: name, error });
        }
      }

      report.reaped = await deps.db.reapStuckJobs();
      if (report.reaped > 0) deps.alerts.alert(...alertOf.jobsReaped(report.reaped));
      logger().info("poll done", { ...report });
      return json(report, 200);
    });
}
