/**
 * Downloads a finished video from the URL a provider handed us, for Storage.
 * The URL comes from outside (a provider answer or a webhook body), so it is
 * treated as hostile until proven otherwise; each of these rules holds for
 * the URL and for every redirect hop, which is followed by hand:
 *
 * - https only, default port, no credentials in the URL;
 * - the host is on the provider's list of output hosts (`outputHosts` of the
 *   adapter, `<PROVIDER>_OUTPUT_HOSTS`): "*.fal.media" covers subdomains;
 * - every address the host resolves to (A and AAAA, Deno.resolveDns) is a
 *   public one: loopback, private, link-local (169.254.169.254, the cloud
 *   metadata address), carrier-grade NAT, multicast and reserved ranges are
 *   refused, as are IP literals in them;
 * - at most `maxRedirects` redirects;
 * - at most `maxBytes`, by Content-Length before reading and by counting the
 *   bytes while streaming (a missing or lying header changes nothing).
 *
 * The body is streamed (to Storage), never buffered: an Edge Function has
 * about 256 MB of memory.
 *
 * What is left: the address check and the connection resolve the host
 * separately (fetch cannot be pinned to an address), so a host whose DNS
 * answers a public address to the check and a private one to the connection
 * (DNS rebinding) would pass. Only hosts on the output list are looked up at
 * all, and their DNS is the provider's, not an attacker's; keep the lists to
 * hosts you trust for that reason.
 *
 * Breaking a rule is a definite refusal (`VideoSourceError`, `definite`):
 * the job fails and is refunded, and the operator hears of it. A download
 * that merely fails (connection, 5xx, an expired URL) is not: the job waits
 * and is tried again (the poller, the provider's webhook retries).
 */

import { envInt, envOr, listOf } from "./env.ts";

export type VideoSourceErrorCode =
  | "video_source_refused"
  | "video_too_large"
  | "video_download_failed";

export class VideoSourceError extends Error {
  constructor(
    readonly code: VideoSourceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "VideoSourceError";
  }

  /** A refusal (rule broken, too large), as opposed to a failed download. */
  get definite(): boolean {
    return this.code !== "video_download_failed";
  }
}

export interface VideoSourcePolicy {
  /** The largest video accepted, in bytes (VIDEO_MAX_BYTES). */
  maxBytes: number;
  /** Redirects followed at most (each hop checked again). Default 3. */
  maxRedirects?: number;
  /** The whole download, headers and body. Default 120 s. */
  timeoutMs?: number;
  /** Attempts for downloads that fail before the body (connection, 5xx). Default 3. */
  attempts?: number;
  backoffMs?: number;
  /**
   * TEST ONLY (VIDEO_SOURCE_TEST_ORIGINS): origins such as
   * `http://127.0.0.1:54321` that are trusted as they are (http and loopback
   * allowed), so tests can serve videos from a local fake. Never set it in
   * production.
   */
  testOrigins?: readonly string[];
  /** The host's addresses; default Deno.resolveDns (A and AAAA). */
  resolve?: (host: string) => Promise<string[]>;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** A video being downloaded: its body, to be consumed once. */
export interface Video {
  body: ReadableStream<Uint8Array>;
  /** Content-Length, when the server sent one. */
  size: number | null;
  /** Why the body stopped early (too large), when it did. */
  failure(): VideoSourceError | null;
}

/** Opens the video at `url` for `hosts`, the output hosts of its provider. */
export type VideoFetcher = (url: string, hosts: readonly string[]) => Promise<Video>;

const refused = (message: string) => new VideoSourceError("video_source_refused", message);

/** True when `host` is on `patterns` ("example.com", "*.example.com"). */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  return patterns.some((raw) => {
    const pattern = raw.toLowerCase().trim();
    if (pattern.startsWith("*.")) {
      const suffix = pattern.slice(1); // ".example.com"
      return name.endsWith(suffix) && name.length > suffix.length;
    }
    return name === pattern;
  });
}

function ipv4Bytes(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return null;
  const bytes = parts.map(Number);
  return bytes.every((b) => b <= 255) ? bytes : null;
}

function ipv4IsPublic([a, b, c]: number[]): boolean {
  return !(
    a === 0 || a === 10 || a === 127 || // "this" network, private, loopback
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) || // IETF, TEST-NET-1
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113) ||
    a >= 224 // multicast, reserved, broadcast
  );
}

/** The 16 bytes of an IPv6 address (`::`, embedded IPv4 allowed), or null. */
function ipv6Bytes(text: string): number[] | null {
  let address = text.replace(/^\[|\]$/g, "").split("%")[0];
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (v4) {
    const bytes = ipv4Bytes(v4[1]);
    if (!bytes) return null;
    tail.push(...bytes);
    address = address.slice(0, -v4[1].length) + "0:0";
  }
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  const bytes = all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

function ipv6IsPublic(b: number[]): boolean {
  const zeros = (n: number) => b.slice(0, n).every((x) => x === 0);
  if (zeros(15) && (b[15] === 0 || b[15] === 1)) return false; // ::, ::1
  if (zeros(10) && b[10] === 0xff && b[11] === 0xff) return ipv4IsPublic(b.slice(12)); // ::ffff:a.b.c.d
  if (zeros(12)) return ipv4IsPublic(b.slice(12)); // ::a.b.c.d (deprecated)
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) {
    return ipv4IsPublic(b.slice(12)); // 64:ff9b::/96 NAT64
  }
  if (b[0] === 0x20 && b[1] === 0x02) return ipv4IsPublic(b.slice(2, 6)); // 2002::/16 6to4
  if ((b[0] & 0xfe) === 0xfc) return false; // fc00::/7 unique local
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return false; // fe80::/10 link-local
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0xc0) return false; // fec0::/10 site-local
  if (b[0] === 0xff) return false; // multicast
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return false; // documentation
  if (b[0] === 0x01 && b[1] === 0x00 && zeros(8)) return false; // 100::/64 discard
  return true;
}

/** True for a public unicast address; false for private, loopback, link-local, … and non-addresses. */
export function isPublicAddress(address: string): boolean {
  const v4 = ipv4Bytes(address);
  if (v4) return ipv4IsPublic(v4);
  const v6 = ipv6Bytes(address);
  return v6 !== null && ipv6IsPublic(v6);
}

/** A/AAAA addresses of `host` (an IP literal is its own address). */
async function denoResolve(host: string): Promise<string[]> {
  const results = await Promise.allSettled([
    Deno.resolveDns(host, "A"),
    Deno.resolveDns(host, "AAAA"),
  ]);
  const addresses = results.flatMap((r) => (r.status === "fulfilled" ? r.value : []));
  if (addresses.length === 0) {
    const reason = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    throw new Error(`no address for ${host}: ${String(reason?.reason ?? "none")}`);
  }
  return addresses;
}

const isIpLiteral = (host: string) => ipv4Bytes(host) !== null || host.startsWith("[");

/** Throws unless `url` may be fetched under `hosts` (one hop; see the rules above). */
async function checkHop(
  url: URL,
  hosts: readonly string[],
  policy: VideoSourcePolicy,
): Promise<void> {
  if (policy.testOrigins?.includes(url.origin)) return;
  if (url.protocol !== "https:") throw refused(`not https: ${url.protocol}//${url.host}`);
  if (url.username || url.password) throw refused(`credentials in the URL of ${url.host}`);
  if (url.port !== "") throw refused(`a non-default port: ${url.host}`);
  const host = url.hostname;
  if (!hostAllowed(host.replace(/^\[|\]$/g, ""), hosts)) {
    throw refused(`${host} is not an output host of this provider`);
  }
  let addresses: string[];
  if (isIpLiteral(host)) {
    addresses = [host.replace(/^\[|\]$/g, "")];
  } else {
    try {
      addresses = await (policy.resolve ?? denoResolve)(host);
    } catch (error) {
      throw new VideoSourceError("video_download_failed", `resolving ${host} failed: ${error}`);
    }
  }
  const inside = addresses.filter((a) => !isPublicAddress(a));
  if (addresses.length === 0 || inside.length > 0) {
    throw refused(`${host} resolves to a non-public address (${inside.join(", ") || "none"})`);
  }
}

/** `body`, cut with a `video_too_large` error once more than `max` bytes went through. */
function capped(
  body: ReadableStream<Uint8Array>,
  max: number,
  onCut: (error: VideoSourceError) => void,
): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) {
          const error = new VideoSourceError(
            "video_too_large",
            `the video is larger than ${max} bytes (VIDEO_MAX_BYTES)`,
          );
          onCut(error);
          controller.error(error);
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The fetcher with `policy`; see the rules at the top of this file. */
export function videoFetcher(policy: VideoSourcePolicy): VideoFetcher {
  const fetchFn = policy.fetch ?? fetch;
  const maxRedirects = policy.maxRedirects ?? 3;
  const attempts = policy.attempts ?? 3;
  const sleep = policy.sleep ?? defaultSleep;

  async function open(start: URL, hosts: readonly string[], signal: AbortSignal): Promise<Video> {
    let url = start;
    for (let hop = 0;; hop++) {
      await checkHop(url, hosts, policy);
      let res: Response;
      try {
        res = await fetchFn(url, { redirect: "manual", signal });
      } catch (error) {
        throw new VideoSourceError("video_download_failed", `${url.host}: ${error}`);
      }
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        const location = res.headers.get("location");
        if (!location) {
          throw new VideoSourceError("video_download_failed", "redirect without Location");
        }
        if (hop >= maxRedirects) throw refused(`more than ${maxRedirects} redirects`);
        try {
          url = new URL(location, url);
        } catch {
          throw refused(`an invalid redirect target: ${location}`);
        }
        continue;
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        throw new VideoSourceError(
          "video_download_failed",
          `${url.host} answered HTTP ${res.status}`,
        );
      }
      const length = res.headers.get("content-length");
      const size = length !== null && /^\d+$/.test(length) ? Number(length) : null;
      if (size !== null && size > policy.maxBytes) {
        await res.body.cancel();
        throw new VideoSourceError(
          "video_too_large",
          `the video is ${size} bytes, more than ${policy.maxBytes} (VIDEO_MAX_BYTES)`,
        );
      }
      let cut: VideoSourceError | null = null;
      return {
        body: capped(res.body, policy.maxBytes, (error) => (cut = error)),
        size,
        failure: () => cut,
      };
    }
  }

  return async (raw, hosts) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw refused("not a URL");
    }
    const signal = AbortSignal.timeout(policy.timeoutMs ?? 120_000);
    for (let attempt = 1;; attempt++) {
      try {
        return await open(url, hosts, signal);
      } catch (error) {
        const again = error instanceof VideoSourceError && !error.definite &&
          attempt < attempts && !signal.aborted;
        if (!again) throw error;
        const backoff = (policy.backoffMs ?? 500) * 2 ** (attempt - 1);
        await sleep(backoff / 2 + Math.random() * backoff / 2);
      }
    }
  };
}

/** 50 MB: Storage's upload limit on the Free plan. */
export const DEFAULT_MAX_VIDEO_BYTES = 50 * 1024 * 1024;

/** Production wiring: VIDEO_MAX_BYTES, and the TEST ONLY VIDEO_SOURCE_TEST_ORIGINS. */
export function videoFetcherFromEnv(): VideoFetcher {
  return videoFetcher({
    maxBytes: envInt("VIDEO_MAX_BYTES", DEFAULT_MAX_VIDEO_BYTES),
    testOrigins: listOf(envOr("VIDEO_SOURCE_TEST_ORIGINS", "")),
  });
}
