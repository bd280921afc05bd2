/**
 * Finished videos live in the private Storage bucket `videos`, at
 * `<user_id>/<job_id>.mp4`: provider URLs expire (fal, Runway within days,
 * Replicate within an hour), so the file is copied as soon as a job succeeds.
 * `video_jobs.video_url` keeps the object path (`videos/<user_id>/<job_id>.mp4`);
 * the owner gets a short-lived signed URL with every job response.
 *
 * The video is streamed from the provider into Storage (video_source.ts
 * enforces the size cap while it flows), never held in memory. Storage's own
 * upload limit must be at least VIDEO_MAX_BYTES: 50 MB is the global limit on
 * the Free plan; raise both together on a paid plan (Storage settings).
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import type { Video } from "./video_source.ts";

export const VIDEO_BUCKET = "videos";

/** The object path stored in `video_jobs.video_url`. */
export function videoPath(job: { id: string; user_id: string }): string {
  return `${VIDEO_BUCKET}/${job.user_id}/${job.id}.mp4`;
}

export interface Storage {
  /** Streams `video` into `path` (overwriting: retries are safe). */
  saveVideo(path: string, video: Video): Promise<void>;
  /** Deletes `path`; a missing file is not an error. */
  removeVideo(path: string): Promise<void>;
  /** A signed download URL for `path`, valid `expiresInSeconds`. */
  signedUrl(path: string, expiresInSeconds: number): Promise<string>;
}

/** `videos/a/b.mp4` → bucket `videos`, object `a/b.mp4`. */
function split(path: string): { bucket: string; object: string } {
  const slash = path.indexOf("/");
  return { bucket: path.slice(0, slash), object: path.slice(slash + 1) };
}

/** `client` uses the service role: the bucket has no public access. */
export function supabaseStorage(client: SupabaseClient): Storage {
  return {
    async saveVideo(path, video) {
      const { bucket, object } = split(path);
      // A stream body goes out chunked (duplex "half"): memory stays flat
      // whatever the size.
      const { error } = await client.storage.from(bucket).upload(object, video.body, {
        contentType: "video/mp4",
        upsert: true,
        duplex: "half",
      });
      if (error) throw new Error(`upload to Storage failed: ${error.message}`);
    },
    async removeVideo(path) {
      const { bucket, object } = split(path);
      const { error } = await client.storage.from(bucket).remove([object]);
      if (error) throw new Error(`removing ${path} from Storage failed: ${error.message}`);
    },
    async signedUrl(path, expiresInSeconds) {
      const { bucket, object } = split(path);
      const { data, error } = await client.storage.from(bucket).createSignedUrl(
        object,
        expiresInSeconds,
      );
      if (error || !data) throw new Error(`signing ${path} failed: ${error?.message}`);
      return data.signedUrl;
    },
  };
}
