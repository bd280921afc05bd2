/** An in-memory Storage that really consumes the video stream it is given. */
import type { Storage } from "../../_shared/storage.ts";
import type { Video } from "../../_shared/video_source.ts";

export class MemoryStorage implements Storage {
  readonly objects = new Map<string, Uint8Array>();
  /** Paths deleted, in order. */
  readonly removed: string[] = [];

  async saveVideo(path: string, video: Video): Promise<void> {
    // Read as Storage would: to the end of the stream, or its error.
    const bytes = new Uint8Array(await new Response(video.body).arrayBuffer());
    this.objects.set(path, bytes);
  }

  removeVideo(path: string): Promise<void> {
    this.objects.delete(path);
    this.removed.push(path);
    return Promise.resolve();
  }

  signedUrl(path: string, expiresInSeconds: number): Promise<string> {
    return Promise.resolve(`https://storage.test/sign/${path}?expires=${expiresInSeconds}`);
  }
}
