/** The contract of POST /poll-jobs, the scheduler's endpoint (see _shared/contract/schema.ts). */
import { COMMON_ERRORS, type EndpointContract, errors, z } from "../_shared/contract/schema.ts";

export const PollReport = z.strictObject({
  polled: z.int().min(0).describe("In-flight jobs asked about."),
  succeeded: z.int().min(0),
  failed: z.int().min(0),
  pending: z.int().min(0),
  errors: z.int().min(0).describe("Provider calls that failed (the jobs are asked again later)."),
  reaped: z.int().min(0).describe("Stuck jobs failed and refunded."),
}).meta({ id: "PollReport" });
export type PollReport = z.output<typeof PollReport>;

export const POLL_JOBS: EndpointContract = {
  name: "poll-jobs",
  method: "post",
  audience: "scheduler",
  operationId: "pollJobs",
  summary: "Poll in-flight jobs and reap stuck ones (scheduler only)",
  description: "Called every minute by pg_cron with CRON_SECRET. Not for apps.",
  security: ["cronSecret"],
  responses: {
    200: {
      description: "What this run did.",
      body: PollReport,
      example: { polled: 3, succeeded: 1, failed: 0, pending: 2, errors: 0, reaped: 0 },
    },
  },
  errors: errors(
    { 401: { unauthorized: "This endpoint is for the scheduler." } },
    COMMON_ERRORS,
  ),
};
