/**
 * A video job as its owner reads it (generate-video and job-status answer
 * `{job}`): never the provider's ids, URLs or raw answers, which stay in the
 * database for operators.
 */
import { type ExampleModel, timestamp, z } from "./schema.ts";

/** The request as the job stored it (normalized: trimmed, absent options left out). */
export const JobInput = z.strictObject({
  prompt: z.string(),
  image_url: z.string().optional(),
  duration: z.number().optional(),
  aspect_ratio: z.string().optional(),
}).meta({ id: "JobInput", description: "The generation request as the job stored it." });
export type JobInput = z.output<typeof JobInput>;

export const JOB_STATUSES = ["queued", "submitted", "processing", "succeeded", "failed"] as const;

export const Job = z.strictObject({
  id: z.guid(),
  model_id: z.string(),
  provider: z.string().describe("The video provider that makes this video (e.g. fal)."),
  status: z.enum(JOB_STATUSES).describe(
    "queued (charged, not yet accepted by the provider) → submitted → processing → " +
      "succeeded | failed. succeeded and failed are final; a failed job was refunded.",
  ),
  input: JobInput,
  credits_charged: z.int().min(0),
  video_url: z.string().nullable().describe(
    "A signed URL of the finished video (valid for an hour; ask job-status again for a new one), " +
      "null until the job succeeded.",
  ),
  error_code: z.string().nullable().describe(
    "Why the job failed, as a stable code (e.g. provider_unavailable, generation_failed, " +
      "timed_out); null unless failed.",
  ),
  error: z.string().nullable().describe("Why the job failed, in words safe to show the user."),
  created_at: timestamp(),
  updated_at: timestamp(),
}).meta({ id: "Job", description: "A video generation job, as its owner sees it." });
export type Job = z.output<typeof Job>;

export const JobResponse = z.strictObject({ job: Job }).meta({ id: "JobResponse" });
export type JobResponse = z.output<typeof JobResponse>;

/** The example job of the document, of the project's example model. */
export function exampleJob(status: (typeof JOB_STATUSES)[number], model: ExampleModel): Job {
  const done = status === "succeeded";
  return {
    id: "6f1c2a9e-3b7d-4c55-9a0e-2d8b7f41c3a1",
    model_id: model.id,
    provider: model.provider,
    status,
    input: { prompt: "A paper boat sailing down a rainy street" },
    credits_charged: model.cost,
    video_url: done
      ? "https://<project-ref>.supabase.co/storage/v1/object/sign/videos/<user>/<job>.mp4?token=…"
      : null,
    error_code: null,
    error: null,
    created_at: "2026-01-01T12:00:00.000Z",
    updated_at: done ? "2026-01-01T12:01:30.000Z" : "2026-01-01T12:00:00.000Z",
  };
}
