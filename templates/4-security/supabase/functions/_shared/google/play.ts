/**
 * The two Google Play Developer API calls a consumable needs:
 * purchases.products.get and purchases.products.consume.
 */
import type { AccessTokens } from "./service_account.ts";

export const ANDROID_PUBLISHER_SCOPE = "https://www.googleapis.com/auth/androidpublisher";

/** The fields of ProductPurchase this backend relies on. */
export interface ProductPurchase {
  /** 0 purchased, 1 canceled, 2 pending. */
  purchaseState?: number;
  /** 0 yet to be consumed, 1 consumed. */
  consumptionState?: number;
  /** Absent for normal purchases; 0 test, 1 promo, 2 rewarded. */
  purchaseType?: number;
  orderId?: string;
  quantity?: number;
  obfuscatedExternalAccountId?: string;
}

export interface PlayApi {
  /** The purchase, or null when Google does not know the token. */
  getProductPurchase(productId: string, purchaseToken: string): Promise<ProductPurchase | null>;
  consume(productId: string, purchaseToken: string): Promise<void>;
}

/** Google did not answer usably (network, auth, 5xx): retry later. */
export class PlayApiError extends Error {
  override name = "PlayApiError";
}

export interface PlayApiOptions {
  /** https://androidpublisher.googleapis.com */
  baseUrl: string;
  packageName: string;
  tokens: AccessTokens;
  fetch?: typeof fetch;
}

export function playApi(options: PlayApiOptions): PlayApi {
  const doFetch = options.fetch ?? fetch;
  const url = (productId: string, token: string) =>
    `${options.baseUrl}/androidpublisher/v3/applications/${
      encodeURIComponent(options.packageName)
    }/purchases/products/${encodeURIComponent(productId)}/tokens/${encodeURIComponent(token)}`;

  async function call(target: string, method: string): Promise<Response> {
    let access: string;
    try {
      access = await options.tokens();
    } catch (error) {
      throw new PlayApiError(`no Google access token: ${String(error)}`);
    }
    try {
      return await doFetch(target, {
        method,
        headers: { authorization: `Bearer ${access}` },
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new PlayApiError(`Google Play unreachable: ${String(error)}`);
    }
  }

  return {
    async getProductPurchase(productId, purchaseToken) {
      const res = await call(url(productId, purchaseToken), "GET");
      // 400/404/410: the token is malformed, unknown, or for another product.
      if (res.status === 400 || res.status === 404 || res.status === 410) {
        await res.body?.cancel();
        return null;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new PlayApiError(`purchases.products.get answered ${res.status}`);
      }
      return await res.json() as ProductPurchase;
    },
    async consume(productId, purchaseToken) {
      const res = await call(`${url(productId, purchaseToken)}:consume`, "POST");
      await res.body?.cancel();
      if (!res.ok) throw new PlayApiError(`purchases.products.consume answered ${res.status}`);
    },
  };
}
