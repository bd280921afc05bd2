/**
 * Apple DeviceCheck: two bits Apple keeps per physical device for this
 * developer team. They survive app deletion and new guest accounts, which is
 * exactly what "trial credits once per device" needs.
 *
 * Every call carries a short-lived ES256 JWT signed with the team's
 * DeviceCheck key (header `kid`, claims `iss` = team id, `iat`).
 */
import { importPKCS8, SignJWT } from "jose";

export interface TwoBits {
  bit0: boolean;
  bit1: boolean;
}

export interface DeviceCheckApi {
  /** The device's bits; both false when they were never set. */
  queryTwoBits(deviceToken: string): Promise<TwoBits>;
  updateTwoBits(deviceToken: string, bits: Partial<TwoBits>): Promise<void>;
}

/** Apple did not answer as expected; `status` is Apple's (0 = no answer). */
export class DeviceCheckError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "DeviceCheckError";
  }
  /** Apple rejected the device token itself (the client's fault, not an outage). */
  get badDeviceToken(): boolean {
    return this.status === 400;
  }
}

export interface DeviceCheckOptions {
  /** https://api.devicecheck.apple.com or https://api.development.devicecheck.apple.com */
  baseUrl: string;
  teamId: string;
  keyId: string;
  /** The DeviceCheck key (.p8), PKCS#8 PEM. */
  privateKeyPem: string;
  fetch?: typeof fetch;
  now?: () => number;
  newTransactionId?: () => string;
}

/** Apple accepts a token for up to an hour; a fresh one every 20 minutes is plenty. */
const TOKEN_LIFETIME_MS = 20 * 60 * 1000;

export function deviceCheckClient(options: DeviceCheckOptions): DeviceCheckApi {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const newId = options.newTransactionId ?? (() => crypto.randomUUID());
  let cached: { jwt: string; at: number } | undefined;
  let key: ReturnType<typeof importPKCS8> | undefined;

  async function authToken(): Promise<string> {
    const at = now();
    if (cached && at - cached.at < TOKEN_LIFETIME_MS) return cached.jwt;
    key ??= importPKCS8(options.privateKeyPem.replaceAll("\\n", "\n"), "ES256");
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: options.keyId })
      .setIssuer(options.teamId)
      .setIssuedAt(Math.floor(at / 1000))
      .sign(await key);
    cached = { jwt, at };
    return jwt;
  }

  async function call(path: string, body: Record<string, unknown>): Promise<string> {
    let res: Response;
    try {
      res = await doFetch(`${options.baseUrl}${path}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${await authToken()}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ ...body, transaction_id: newId(), timestamp: now() }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new DeviceCheckError(0, `DeviceCheck unreachable: ${String(error)}`);
    }
    const text = await res.text();
    if (!res.ok) {
      throw new DeviceCheckError(res.status, `DeviceCheck ${path} answered ${res.status}: ${text}`);
    }
    return text;
  }

  return {
    async queryTwoBits(deviceToken) {
      const text = await call("/v1/query_two_bits", { device_token: deviceToken });
      // A device whose bits were never set answers 200 with plain text
      // ("Bit State Not Found" / "Failed to find bit state"), not JSON.
      if (/bit state/i.test(text) && !text.trim().startsWith("{")) {
        return { bit0: false, bit1: false };
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new DeviceCheckError(200, `DeviceCheck answered an unknown text: ${text}`);
      }
      const bits = parsed as Partial<TwoBits>;
      return { bit0: bits.bit0 === true, bit1: bits.bit1 === true };
    },
    async updateTwoBits(deviceToken, bits) {
      await call("/v1/update_two_bits", { device_token: deviceToken, ...bits });
    },
  };
}
