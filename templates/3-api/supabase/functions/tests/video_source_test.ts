/**
 * Collecting the finished video, attacked: the provider's answer names the
 * URL the server downloads from, so it is tried with URLs an attacker would
 * like us to fetch (http, another host, a redirect to the cloud metadata
 * address or to a loopback service, a name that resolves inside) and with
 * files too large to hold. Each attempt must be refused before any request
 * reaches the target; the job is then failed, refunded, with a stable code.
 */
import assert from "node:assert/strict";
import type { VideoJob } from "../_shared/db.ts";
import { hostAllowed, isPublicAddress } from "../_shared/video_source.ts";
import { startAssetServer } from "./fakes/assets.ts";
import {
  body,
  generateRequest,
  type Harness,
  MAX_VIDEO_BYTES,
  pollRequest,
  startHarness,
  testVideoFetcher,
} from "./fakes/harness.ts";
import { MemoryDb } from "./fakes/memory_db.ts";
import { PROVIDER_CASES, type ProviderCase } from "./fakes/providers.ts";
import { startServer } from "./fakes/server.ts";

const COST = 10;

interface Ctx {
  h: Harness;
  db: MemoryDb;
  userId: string;
  /** Stands in for the provider's CDN; trusted as a test origin. */
  cdn: ReturnType<typeof startAssetServer>;
  /** A service inside our network (not a test origin): must never be reached. */
  internal: ReturnType<typeof startServer>;
  /** A job the provider says succeeded with `videoUrl`; polled once. */
  finishWith(videoUrl: string): Promise<VideoJob>;
}

/** A host each provider really serves finished videos from. */
const REAL_CDN: Record<string, string> = {
  fal: "v3.fal.media",
  runway: "dnznrvs05pmza.cloudfront.net",
  replicate: "replicate.delivery",
};

/** The provider's real CDN host, which its output host list must allow. */
function outputHost(h: Harness): string {
  const host = REAL_CDN[h.fake.name];
  assert.ok(hostAllowed(host, h.fake.provider.outputHosts ?? []), `${host} is an output host`);
  return host;
}

async function collect(
  c: ProviderCase,
  fn: (ctx: Ctx) => Promise<void>,
  dns: (h: Harness) => Record<string, string[]> = () => ({}),
) {
  const db = new MemoryDb();
  db.addModel(c.modelId, c.name, COST);
  const cdn = startAssetServer();
  const internal = startServer(() => new Response("internal secret"));
  // Trusted as they are: the CDN stand-in and (once started) the provider fake.
  const origins = [cdn.url];
  const names: Record<string, string[]> = {};
  const fetchVideo = (url: string, hosts: readonly string[]) =>
    testVideoFetcher(origins, { dns: names })(url, hosts);
  const h = await startHarness(c, { db, fetchVideo, staleAfterS: 1 });
  origins.push(h.fake.server.url);
  Object.assign(names, dns(h));
  const userId = crypto.randomUUID();
  db.credits.set(userId, 100);
  const token = h.auth.issue(userId);
  try {
    await fn({
      h,
      db,
      userId,
      cdn,
      internal,
      async finishWith(videoUrl) {
        const { job } = await body(
          await h.generate(generateRequest(token, { model_id: c.modelId, ...c.body })),
        );
        const stored = (await db.getJob(job.id))!;
        // Quiet for a while (a webhook provider's job is polled only then).
        const before = new Date(Date.now() - 10_000).toISOString();
        db.jobs.set(job.id, { ...stored, created_at: before, updated_at: before });
        h.fake.finish(stored.provider_job_id!, "succeeded", { videoUrl });
        const res = await h.pollJobs(pollRequest());
        assert.equal(res.status, 200);
        await res.body?.cancel();
        return (await db.getJob(job.id))!;
      },
    });
  } finally {
    await h.close();
    await cdn.close();
    await internal.close();
  }
}

/** Refused: failed with `code`, refunded once, nothing stored, the operator alerted. */
function refused(ctx: Ctx, job: VideoJob, code: string) {
  assert.equal(job.status, "failed", `refused (${code}), not left in flight nor stored`);
  assert.equal(job.error_code, code);
  assert.equal(ctx.db.credits.get(ctx.userId), 100, "refunded");
  assert.equal(ctx.db.ledger.filter((l) => l.reason === "refund").length, 1);
  assert.equal(ctx.h.storage.objects.size, 0, "nothing stored");
  assert.equal(ctx.internal.requests.length, 0, "the internal service was never reached");
}

for (const c of PROVIDER_CASES) {
  Deno.test(`${c.name}: a video URL over http is refused, even on the provider's own host`, async () => {
    await collect(c, async (ctx) => {
      const job = await ctx.finishWith(`http://${outputHost(ctx.h)}/files/video.mp4`);
      refused(ctx, job, "video_source_refused");
      assert.ok(ctx.h.alerts.keys().includes(`video_source_refused:${c.name}`));
    });
  });

  Deno.test(`${c.name}: a video URL on a host that is not the provider's is never fetched`, async () => {
    await collect(c, async (ctx) => {
      const job = await ctx.finishWith(`${ctx.internal.url}/admin/export.mp4`);
      refused(ctx, job, "video_source_refused");
    });
  });

  Deno.test(`${c.name}: a redirect to the cloud metadata address is refused`, async () => {
    await collect(c, async (ctx) => {
      const metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/";
      const job = await ctx.finishWith(
        `${ctx.cdn.url}/redirect?to=${encodeURIComponent(metadata)}`,
      );
      refused(ctx, job, "video_source_refused");
      assert.equal(ctx.cdn.server.requests.length, 1, "the redirect itself was not followed");
    });
  });

  Deno.test(`${c.name}: a redirect to a loopback service is refused`, async () => {
    await collect(c, async (ctx) => {
      const job = await ctx.finishWith(
        `${ctx.cdn.url}/redirect?to=${encodeURIComponent(`${ctx.internal.url}/internal`)}`,
      );
      refused(ctx, job, "video_source_refused");
    });
  });

  Deno.test(`${c.name}: the provider's own host resolving to a private address is refused`, async () => {
    for (const inside of ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "fd00::7"]) {
      const dns = (h: Harness) => ({ [outputHost(h)]: ["93.184.216.34", inside] });
      await collect(c, async (ctx) => {
        const direct = await ctx.finishWith(`https://${outputHost(ctx.h)}/files/video.mp4`);
        refused(ctx, direct, "video_source_refused");
      }, dns);
      await collect(c, async (ctx) => {
        // Through a redirect from the CDN: every hop is checked.
        const target = encodeURIComponent(`https://${outputHost(ctx.h)}/files/video.mp4`);
        const redirected = await ctx.finishWith(`${ctx.cdn.url}/redirect?to=${target}`);
        refused(ctx, redirected, "video_source_refused");
      }, dns);
    }
  });

  Deno.test(`${c.name}: a video larger than the limit by its Content-Length is refused unread`, async () => {
    await collect(c, async (ctx) => {
      const job = await ctx.finishWith(`${ctx.cdn.url}/sized/${MAX_VIDEO_BYTES + 1}`);
      refused(ctx, job, "video_too_large");
    });
  });

  Deno.test(`${c.name}: a video larger than the limit without Content-Length is cut while streaming`, async () => {
    await collect(c, async (ctx) => {
      const job = await ctx.finishWith(`${ctx.cdn.url}/streamed/${MAX_VIDEO_BYTES * 4}`);
      refused(ctx, job, "video_too_large");
    });
  });

  Deno.test(`${c.name}: a video within the rules is stored (the control)`, async () => {
    await collect(c, async (ctx) => {
      const job = await ctx.finishWith(`${ctx.cdn.url}/streamed/${MAX_VIDEO_BYTES}`);
      assert.equal(job.status, "succeeded");
      assert.equal(ctx.h.storage.objects.get(job.video_url!)?.length, MAX_VIDEO_BYTES);
      assert.equal(ctx.db.credits.get(ctx.userId), 100 - COST);
    });
  });
}

Deno.test("video source: only public unicast addresses pass", () => {
  const inside = [
    "0.0.0.0",
    "10.0.0.1",
    "100.64.0.1",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "192.0.2.1",
    "198.18.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "[::1]",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a9fe:a9fe",
    "2002:7f00:1::",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1%eth0",
    "ff02::1",
    "2001:db8::1",
    "not-an-address",
    "1.2.3",
  ];
  for (const a of inside) assert.equal(isPublicAddress(a), false, a);
  const outside = ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8"];
  for (const a of outside) assert.equal(isPublicAddress(a), true, a);
});

Deno.test("video source: host lists match names and subdomains, nothing else", () => {
  const hosts = ["fal.media", "*.fal.media"];
  assert.ok(hostAllowed("fal.media", hosts));
  assert.ok(hostAllowed("v3.fal.media", hosts));
  assert.ok(hostAllowed("V3B.FAL.MEDIA.", hosts));
  for (const host of ["evilfal.media", "fal.media.evil.test", "fal-media", "xfal.media"]) {
    assert.equal(hostAllowed(host, hosts), false, host);
  }
  assert.equal(hostAllowed("a.b.example", ["*.example"]), true);
  assert.equal(hostAllowed("example", ["*.example"]), false);
});
