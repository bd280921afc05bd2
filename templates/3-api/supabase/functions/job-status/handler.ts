/**
 * GET /job-status?id=<uuid>: the caller's job. Another user's job and an
 * unknown id look the same (404), so ids cannot be probed.
 *
 * A job of a provider without webhooks is refreshed from the provider while
 * in flight, at most once per `minRefreshIntervalS` per worker (Runway asks
 * for no more than one poll every 5 seconds); a job of a webhook provider only
 * when its webhook looks lost (no change for `staleAfterS`). A provider that
 * does not answer does not fail the request: the job is returned as stored.
 */
import { type Auth, authenticate } from "../_shared/auth.ts";
import { HttpError, json, requireMethod, respond } from "../_shared/http.ts";
import type { JobResponse } from "../_shared/contract/job.ts";
import { isStale, type JobDeps, refresh, toPublicJob } from "../_shared/jobs.ts";
import { logger, tag } from "../_shared/log.ts";
import { providerOf } from "../_shared/providers/registry.ts";
import { queryOf } from "../_shared/validate.ts";
import { JobStatusQuery } from "./contract.ts";

export interface JobStatusDeps extends JobDeps {
  auth: Auth;
  staleAfterS: number;
  /** Upper bound for the provider call, so the app's poll stays quick. */
  refreshTimeoutMs: number;
  minRefreshIntervalS: number;
}

/** Remembers when each job was last refreshed, in this worker (bounded). */
class RefreshThrottle {
  private readonly last = new Map<string, number>();
  constructor(private readonly intervalMs: number) {}

  /** True (and remembered) when `jobId` may be refreshed at `now`. */
  take(jobId: string, now: number): boolean {
    const previous = this.last.get(jobId);
    if (previous !== undefined && now - previous < this.intervalMs) return false;
    if (this.last.size >= 10_000) this.last.clear();
    this.last.set(jobId, now);
    return true;
  }
}

export function jobStatusHandler(deps: JobStatusDeps): (req: Request) => Promise<Response> {
  const throttle = new RefreshThrottle(deps.minRefreshIntervalS * 1000);
  return (req) =>
    respond(req, async () => {
      requireMethod(req, "GET");
      const caller = await authenticate(req, deps.auth);
      tag("user_id", caller.userId);
      // A malformed id is answered like an unknown one (contract.ts).
      const query = JobStatusQuery.safeParse(queryOf(req, JobStatusQuery));
      let job = query.success ? await deps.db.getJob(query.data.id) : null;
      if (!job || job.user_id !== caller.userId) {
        throw new HttpError(404, "job_not_found", "No such job.");
      }
      tag("job_id", job.id);
      const provider = providerOf(deps.providers, job.provider);
      const now = deps.now();
      if (
        provider && isStale(job, provider, now, deps.staleAfterS) &&
        throttle.take(job.id, now.getTime())
      ) {
        try {
          job = await refresh(job, deps, AbortSignal.timeout(deps.refreshTimeoutMs));
        } catch (error) {
          logger().warn("refresh from the provider failed", { job_id: job.id, error });
        }
      }
      const answer: JobResponse = { job: await toPublicJob(job, deps.storage) };
      return json(answer, 200);
    });
}
