/**
 * A local HTTP server for tests: Deno.serve on 127.0.0.1, port 0, that
 * records every request. Fakes of third-party APIs are built on it and the
 * code under test reaches them through its base-URL settings.
 */

export interface Recorded {
  method: string;
  path: string;
  search: URLSearchParams;
  headers: Headers;
  body: string;
}

export interface FakeServer {
  url: string;
  requests: Recorded[];
  /** Resolves when close() starts: hanging routes answer then, so shutdown can finish. */
  closing: Promise<void>;
  close(): Promise<void>;
}

export type Route = (req: Recorded) => Response | Promise<Response>;

export function startServer(route: Route): FakeServer {
  const requests: Recorded[] = [];
  const controller = new AbortController();
  let startClosing = () => {};
  const closing = new Promise<void>((resolve) => (startClosing = resolve));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      const recorded: Recorded = {
        method: req.method,
        path: url.pathname,
        search: url.searchParams,
        headers: req.headers,
        body: await req.text(),
      };
      requests.push(recorded);
      return await route(recorded);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    closing,
    async close() {
      startClosing();
      controller.abort();
      await server.finished;
    },
  };
}

export const VIDEO_BYTES = new TextEncoder().encode("\x00\x00\x00\x18ftypmp42 fake video");
