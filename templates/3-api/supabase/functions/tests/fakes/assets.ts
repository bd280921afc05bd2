/**
 * A file server standing in for a provider's CDN (or an attacker's server):
 * records every request, and serves what the download rules are tried on.
 *
 *   /video.mp4              a small video
 *   /sized/<n>              n bytes, with Content-Length
 *   /streamed/<n>           n bytes in chunks, without Content-Length
 *   /redirect?to=<url>      302 to <url>
 *   /flaky/<k>/video.mp4    503 for the first k requests, then the video
 *   /gated/video.mp4        the video once `open()` is called
 *   /delay/<ms>/video.mp4   the video after <ms> milliseconds
 */
import { startServer, VIDEO_BYTES } from "./server.ts";

export function startAssetServer() {
  let gate: () => void = () => {};
  let gateOpen = new Promise<void>((resolve) => (gate = resolve));
  const flakyCount = new Map<string, number>();
  const server = startServer(async (req) => {
    const sized = /^\/sized\/(\d+)$/.exec(req.path);
    if (sized) return new Response(new Uint8Array(Number(sized[1])));
    const streamed = /^\/streamed\/(\d+)$/.exec(req.path);
    if (streamed) {
      let left = Number(streamed[1]);
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (left <= 0) return controller.close();
          const n = Math.min(left, 8192);
          left -= n;
          controller.enqueue(new Uint8Array(n));
        },
      });
      return new Response(body); // chunked: no Content-Length
    }
    if (req.path === "/redirect") {
      return new Response(null, { status: 302, headers: { location: req.search.get("to")! } });
    }
    const flaky = /^\/flaky\/(\d+)\/video\.mp4$/.exec(req.path);
    if (flaky) {
      const seen = (flakyCount.get(req.path) ?? 0) + 1;
      flakyCount.set(req.path, seen);
      if (seen <= Number(flaky[1])) return new Response("busy", { status: 503 });
      return new Response(VIDEO_BYTES);
    }
    if (req.path === "/gated/video.mp4") {
      await Promise.race([gateOpen, server.closing]);
      return new Response(VIDEO_BYTES);
    }
    const delay = /^\/delay\/(\d+)\/video\.mp4$/.exec(req.path);
    if (delay) {
      await Promise.race([
        new Promise((resolve) => setTimeout(resolve, Number(delay[1]))),
        server.closing,
      ]);
      return new Response(VIDEO_BYTES);
    }
    if (req.path === "/video.mp4") return new Response(VIDEO_BYTES);
    return new Response("not found", { status: 404 });
  });
  return {
    server,
    url: server.url,
    /** Lets the waiting /gated requests through (and the next ones). */
    open() {
      gate();
    },
    /** Closes the gate again. */
    shut() {
      gateOpen = new Promise<void>((resolve) => (gate = resolve));
    },
    close: () => server.close(),
  };
}
