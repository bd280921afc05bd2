/**
 * Who is calling. User endpoints take `Authorization: Bearer <Supabase JWT>`
 * (guests included) and answer 401 `unauthorized` without a valid one.
 *
 * The gateway's `verify_jwt` is not enough on its own: it also lets API keys
 * through, so every user endpoint verifies the token again here.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import { HttpError } from "./http.ts";

export interface Caller {
  userId: string;
  /** Guest accounts (anonymous sign-in) carry `is_anonymous: true`. */
  isAnonymous: boolean;
}

/** The port: a verified token's caller, or null for any invalid token. */
export interface Auth {
  verify(token: string): Promise<Caller | null>;
}

/** The bearer token of `req`, or null. */
export function bearerToken(req: Request): string | null {
  const header = req.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match ? match[1] : null;
}

/** The verified caller of `req`; throws 401 `unauthorized` otherwise. */
export async function authenticate(req: Request, auth: Auth): Promise<Caller> {
  const token = bearerToken(req);
  const caller = token ? await auth.verify(token) : null;
  if (!caller) {
    throw new HttpError(
      401,
      "unauthorized",
      "Sign in first: a valid Supabase session is required.",
    );
  }
  return caller;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Production: `auth.getClaims` checks the signature locally against the
 * project's JWKS (asymmetric signing keys) and asks the Auth server for legacy
 * HS256 tokens. Only end-user tokens count: an API key (role anon or
 * service_role, no user `sub`) is not a caller.
 */
export function supabaseAuth(client: SupabaseClient): Auth {
  return {
    async verify(token) {
      const { data, error } = await client.auth.getClaims(token);
      if (error || !data) return null;
      const claims = data.claims;
      if (
        claims.role !== "authenticated" || typeof claims.sub !== "string" || !UUID.test(claims.sub)
      ) {
        return null;
      }
      return { userId: claims.sub, isAnonymous: claims.is_anonymous === true };
    },
  };
}
