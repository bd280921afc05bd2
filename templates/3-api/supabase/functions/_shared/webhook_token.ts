/**
 * Per-job tokens for our webhook URLs. generate-video hands each provider
 * `…/<provider>-webhook?job=<job id>&token=<token>`, where the token is
 * HMAC-SHA256(WEBHOOK_TOKEN_SECRET, job id), base64url. Only this server can
 * mint one, so a delivery to a URL a user wrote themselves (with their own
 * job id, from their own provider account) is refused before anything else
 * happens; the provider's signature is checked as well.
 *
 * The secret: at least 32 characters (`openssl rand -hex 32`). Rotating it
 * invalidates the URLs of jobs still in flight: their deliveries are refused
 * and the poller collects those jobs instead.
 */
import { timingSafeEqual, toBase64, utf8 } from "./crypto.ts";

/** Shorter secrets are refused: the token must not be guessable. */
export const MIN_SECRET_LENGTH = 32;

export class WebhookTokens {
  private key: Promise<CryptoKey> | null = null;

  constructor(private readonly secret: string) {}

  /** True when a usable secret is set. */
  get configured(): boolean {
    return this.secret.length >= MIN_SECRET_LENGTH;
  }

  /** The token for `jobId`; throws when no usable secret is set. */
  async mint(jobId: string): Promise<string> {
    if (!this.configured) {
      throw new Error(
        `WEBHOOK_TOKEN_SECRET is missing or shorter than ${MIN_SECRET_LENGTH} characters ` +
          "(see .env.example): provider webhooks cannot be authenticated.",
      );
    }
    this.key ??= crypto.subtle.importKey(
      "raw",
      utf8(this.secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const mac = await crypto.subtle.sign("HMAC", await this.key, utf8(jobId));
    return toBase64(mac).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  }

  /** Where `provider` calls back for the job: `<functionsUrl>/<provider>-webhook?job=…&token=…`. */
  async webhookUrl(functionsUrl: string, provider: string, jobId: string): Promise<string> {
    return `${functionsUrl}/${provider}-webhook?job=${jobId}&token=${await this.mint(jobId)}`;
  }

  /** True only for the token `mint(jobId)` gives; false without a secret. */
  async verify(jobId: string, token: string | null): Promise<boolean> {
    if (!this.configured || !token) return false;
    return timingSafeEqual(token, await this.mint(jobId));
  }
}
