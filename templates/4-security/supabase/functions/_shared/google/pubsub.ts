/**
 * Authenticating Pub/Sub push requests: the push subscription is set up with
 * OIDC authentication, so every request carries a Google-signed ID token for
 * the configured service account and audience.
 */
import { jwtVerify, type JWTVerifyGetKey } from "jose";
import { bearerToken } from "../auth.ts";

export interface PubSubAuthOptions {
  /** Google's signing keys (createRemoteJWKSet over GOOGLE_JWKS_URL). */
  keys: JWTVerifyGetKey;
  /** The audience set on the push subscription (GOOGLE_PUBSUB_AUDIENCE). */
  audience: string;
  /** The push subscription's service account (GOOGLE_PUBSUB_SERVICE_ACCOUNT). */
  serviceAccountEmail: string;
  now?: () => Date;
}

export type PubSubAuth = (req: Request) => Promise<boolean>;

export function pubSubAuth(options: PubSubAuthOptions): PubSubAuth {
  return async (req) => {
    const token = bearerToken(req);
    if (!token) return false;
    try {
      const { payload } = await jwtVerify(token, options.keys, {
        issuer: ["https://accounts.google.com", "accounts.google.com"],
        audience: options.audience,
        algorithms: ["RS256"],
        currentDate: options.now?.(),
      });
      return payload.email === options.serviceAccountEmail && payload.email_verified === true;
    } catch {
      return false;
    }
  };
}
