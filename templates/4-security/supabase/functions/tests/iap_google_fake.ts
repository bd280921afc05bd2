/**
 * A local fake of the Google endpoints layer 4 talks to: the OAuth token
 * endpoint (checks the service account's RS256 assertion), the Play
 * Developer API (purchases.products get/consume) and a JWKS for Pub/Sub
 * OIDC tokens, all on 127.0.0.1.
 */
import { exportJWK, exportPKCS8, importJWK, jwtVerify, SignJWT } from "jose";
import type { ProductPurchase } from "../_shared/google/play.ts";
import { serveLocal } from "./security_fakes.ts";

export const PACKAGE = "com.example.videoapp";
export const SERVICE_ACCOUNT = "play-verifier@example-project.iam.gserviceaccount.com";
export const PUSH_ACCOUNT = "rtdn-push@example-project.iam.gserviceaccount.com";
export const AUDIENCE = "https://example.supabase.co/functions/v1/google-notifications";

export interface FakeGoogle {
  url: string;
  /** The service account key file, as GOOGLE_SERVICE_ACCOUNT_JSON holds it. */
  serviceAccountJson: string;
  purchases: Map<string, ProductPurchase & { productId: string }>;
  consumeFailures: number;
  getFailure: number | null;
  calls: string[];
  tokensIssued: number;
  /** An OIDC token as Pub/Sub push sends it, signed by the JWKS key (or a stranger's). */
  oidcToken(claims?: Record<string, unknown>, options?: { stranger?: boolean }): Promise<string>;
  close(): Promise<void>;
}

async function rsaKeys(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
}

export async function fakeGoogle(): Promise<FakeGoogle> {
  const account = await rsaKeys();
  const oidc = await rsaKeys();
  const stranger = await rsaKeys();
  const accountPublic = await importJWK(await exportJWK(account.publicKey), "RS256");
  const jwk = { ...(await exportJWK(oidc.publicKey)), kid: "test-kid", alg: "RS256", use: "sig" };
  const state = {
    purchases: new Map<string, ProductPurchase & { productId: string }>(),
    consumeFailures: 0,
    getFailure: null as number | null,
    calls: [] as string[],
    tokensIssued: 0,
  };
  let url = "";
  const ACCESS = "ya29.fake-access-token";

  const server = serveLocal(async (req) => {
    const { pathname } = new URL(req.url);
    state.calls.push(`${req.method} ${pathname}`);
    if (pathname === "/certs") return Response.json({ keys: [jwk] });
    if (pathname === "/token") {
      const form = new URLSearchParams(await req.text());
      if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
      }
      try {
        const { payload } = await jwtVerify(form.get("assertion") ?? "", accountPublic, {
          issuer: SERVICE_ACCOUNT,
          audience: `${url}/token`,
        });
        if (payload.scope !== "https://www.googleapis.com/auth/androidpublisher") throw new Error();
      } catch {
        return Response.json({ error: "invalid_grant" }, { status: 400 });
      }
      state.tokensIssued++;
      return Response.json({ access_token: ACCESS, expires_in: 3599, token_type: "Bearer" });
    }
    const match =
      /^\/androidpublisher\/v3\/applications\/([^/]+)\/purchases\/products\/([^/]+)\/tokens\/([^/:]+)(:consume)?$/
        .exec(pathname);
    if (!match) return new Response("not found", { status: 404 });
    if (req.headers.get("authorization") !== `Bearer ${ACCESS}`) {
      return Response.json({ error: { code: 401 } }, { status: 401 });
    }
    const [, pkg, productId, token, consume] = match;
    const purchase = state.purchases.get(decodeURIComponent(token));
    if (pkg !== PACKAGE || !purchase || purchase.productId !== decodeURIComponent(productId)) {
      return Response.json({ error: { code: 404, message: "not found" } }, { status: 404 });
    }
    if (consume) {
      if (state.consumeFailures > 0) {
        state.consumeFailures--;
        return Response.json({ error: { code: 503 } }, { status: 503 });
      }
      purchase.consumptionState = 1;
      return new Response("", { status: 200 });
    }
    if (state.getFailure) return Response.json({ error: {} }, { status: state.getFailure });
    const { productId: _omit, ...body } = purchase;
    return Response.json({ kind: "androidpublisher#productPurchase", ...body });
  });
  url = server.url;

  return {
    get url() {
      return url;
    },
    serviceAccountJson: JSON.stringify({
      type: "service_account",
      client_email: SERVICE_ACCOUNT,
      private_key: await exportPKCS8(account.privateKey),
    }),
    get purchases() {
      return state.purchases;
    },
    get consumeFailures() {
      return state.consumeFailures;
    },
    set consumeFailures(n: number) {
      state.consumeFailures = n;
    },
    get getFailure() {
      return state.getFailure;
    },
    set getFailure(s: number | null) {
      state.getFailure = s;
    },
    get calls() {
      return state.calls;
    },
    get tokensIssued() {
      return state.tokensIssued;
    },
    oidcToken: (claims = {}, options = {}) =>
      new SignJWT({
        iss: "https://accounts.google.com",
        aud: AUDIENCE,
        sub: "112233445566778899",
        email: PUSH_ACCOUNT,
        email_verified: true,
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 3600,
        ...claims,
      })
        .setProtectedHeader({ alg: "RS256", kid: "test-kid", typ: "JWT" })
        .sign(options.stranger ? stranger.privateKey : oidc.privateKey),
    close: () => server.close(),
  };
}
