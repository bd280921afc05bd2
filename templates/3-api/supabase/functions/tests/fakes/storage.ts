/** An in-memory Storage that really downloads the provider's file (from a fake). */
import type { Storage } from "../../_shared/storage.ts";

export class MemoryStorage implements Storage {
  readonly objects = new Map<string, Uint8Array>();

  async saveVideo(sourceUrl: string, path: string): Promise<void> {
    const res = await fetch(sourceUrl);
    if (!res.ok) throw new Error(`download failed: HTTP ${res.status}`);
    this.objects.set(path, new Uint8Array(await res.arrayBuffer()));
  }

  signedUrl(path: string, expiresInSeconds: number): Promise<string> {
    return Promise.resolve(`https://storage.test/sign/${path}?expires=${expiresInSeconds}`);
  }
}
