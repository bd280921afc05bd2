/** The contract of GET /job-status (see _shared/contract/schema.ts). */
import { exampleJob, JobResponse } from "../_shared/contract/job.ts";
import {
  COMMON_ERRORS,
  type EndpointContract,
  errors,
  type ExampleModel,
  UNAUTHORIZED,
  z,
} from "../_shared/contract/schema.ts";

export const JobStatusQuery = z.object({
  id: z.guid().describe("The job's id, from generate-video's answer."),
});

/** An unknown id, another user's job and a malformed id all look the same, so ids cannot be probed. */
export const JOB_STATUS_ERRORS = errors(
  UNAUTHORIZED,
  { 404: { job_not_found: "No such job." } },
  COMMON_ERRORS,
  { 405: { method_not_allowed: "Use GET." } },
);

export function jobStatusContract(model: ExampleModel): EndpointContract {
  return {
    name: "job-status",
    method: "get",
    audience: "app",
    operationId: "jobStatus",
    summary: "The caller's job",
    description:
      "The job as it stands; while it is in flight the server may first refresh it from the " +
      "provider. Poll every few seconds until status is succeeded (video_url is set) or failed " +
      "(refunded; error_code says why).",
    security: ["userJwt"],
    query: JobStatusQuery,
    responses: {
      200: {
        description: "The job.",
        body: JobResponse,
        example: { job: exampleJob("succeeded", model) },
      },
    },
    errors: JOB_STATUS_ERRORS,
  };
}
