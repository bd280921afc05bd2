/**
 * Finished videos live in the private Storage bucket `videos`, at
 * `<user_id>/<job_id>.mp4`: provider URLs expire (fal, Runway within days,
 * Replicate within an hour), so the file is copied as soon as a job succeeds.
 * `video_jobs.video_url` keeps the object path (`videos/<user_id>/<job_id>.mp4`);
 * the owner gets a short-lived signed URL with every job response.
 */
import type { SupabaseClient } from "@supabase/supabase-js";

export const VIDEO_BUCKET = "videos";

/** The object path stored in `video_jobs.video_url`. */
export function videoPath(job: { id: string; user_id: string }): string {
  return `${VIDEO_BUCKET}/${job.user_id}/${job.id}.mp4`;
}

export interface Storage {
  /** Downloads `sourceUrl` and stores it at `path` (overwriting: retries are safe). */
  saveVideo(sourceUrl: string, path: string): Promise<void>;
  /** A signed download URL for `path`, valid `expiresInSeconds`. */
  signedUrl(path: string, expiresInSeconds: number): Promise<string>;
}

/** `videos/a/b.mp4` → bucket `videos`, object `a/b.mp4`. */
function split(path: string): { bucket: string; object: string } {
  const slash = path.indexOf("/");
  return { bucket: path.slice(0, slash), object: path.slice(slash + 1) };
}

/** `client` uses the service role: the bucket has no public access. */
export function supabaseStorage(client: SupabaseClient, fetchFn: typeof fetch = fetch): Storage {
  return {
    async saveVideo(sourceUrl, path) {
      const res = await fetchFn(sourceUrl);
      if (!res.ok || !res.body) {
        throw new Error(`download of the finished video failed: HTTP ${res.status}`);
      }
      const { bucket, object } = split(path);
      // Buffered, so Storage gets the length up front (videos are a few MB; memory is 256 MB).
      const video = await res.blob();
      const { error } = await client.storage.from(bucket).upload(object, video, {
        contentType: "video/mp4",
        upsert: true,
      });
      if (error) throw new Error(`upload to Storage failed: ${error.message}`);
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
