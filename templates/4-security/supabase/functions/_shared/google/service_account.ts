/**
 * OAuth access tokens for a Google service account (the standard JWT-bearer
 * flow): an RS256 assertion signed with the account's private key is
 * exchanged at the token endpoint for an access token, cached until shortly
 * before it expires.
 */
import { importPKCS8, SignJWT } from "jose";

export interface ServiceAccount {
  client_email: string;
  private_key: string;
}

/** Reads GOOGLE_SERVICE_ACCOUNT_JSON (the key file Google Cloud gives you). */
export function parseServiceAccount(raw: string): ServiceAccount {
  let parsed: Partial<ServiceAccount>;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error("GOOGLE_SERVICE_ACCOUNT_JSON is not JSON (paste the whole key file).");
  }
  if (typeof parsed.client_email !== "string" || typeof parsed.private_key !== "string") {
    throw new Error("GOOGLE_SERVICE_ACCOUNT_JSON needs client_email and private_key.");
  }
  return { client_email: parsed.client_email, private_key: parsed.private_key };
}

export type AccessTokens = () => Promise<string>;

export interface TokenOptions {
  account: ServiceAccount;
  /** https://oauth2.googleapis.com/token; also the assertion's audience. */
  tokenUrl: string;
  scope: string;
  fetch?: typeof fetch;
  now?: () => number;
}

export class GoogleAuthError extends Error {
  override name = "GoogleAuthError";
}

export function serviceAccountTokens(options: TokenOptions): AccessTokens {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  let cached: { token: string; expiresAt: number } | undefined;
  let key: ReturnType<typeof importPKCS8> | undefined;

  return async () => {
    if (cached && now() < cached.expiresAt - 60_000) return cached.token;
    key ??= importPKCS8(options.account.private_key, "RS256");
    const iat = Math.floor(now() / 1000);
    const assertion = await new SignJWT({ scope: options.scope })
      .setProtectedHeader({ alg: "RS256", typ: "JWT" })
      .setIssuer(options.account.client_email)
      .setAudience(options.tokenUrl)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(await key);
    let res: Response;
    try {
      res = await doFetch(options.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
          assertion,
        }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new GoogleAuthError(`token endpoint unreachable: ${String(error)}`);
    }
    const body = await res.json().catch(() => ({})) as {
      access_token?: string;
      expires_in?: number;
    };
    if (!res.ok || typeof body.access_token !== "string") {
      throw new GoogleAuthError(`token endpoint answered ${res.status}`);
    }
    cached = {
      token: body.access_token,
      expiresAt: now() + (body.expires_in ?? 3600) * 1000,
    };
    return cached.token;
  };
}
