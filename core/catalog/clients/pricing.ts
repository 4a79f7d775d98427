import {
  EDGE_NONCE_HEADER,
  EDGE_SIGNATURE_HEADER,
  EDGE_TIMESTAMP_HEADER,
  type Money,
  newNonce,
  REQUEST_ID_HEADER,
  StorePriceView,
  USER_ID_HEADER,
  USER_ROLES_HEADER,
} from "@qc/contracts";
import { signRequest } from "../../shared/auth/signing";
import type { Config } from "../../shared/config";
import type { Identity } from "../../shared/http/edge-identity";
import { AppError } from "../../shared/http/errors";
import { policyFor } from "../../shared/resilience";
import { serviceUrl } from "../../shared/runtime/context";

export interface PricingClient {
  /**
   * Sets store prices on the admin's behalf; pricing stays their only owner and publishes PriceChanged.
   * Answers the prices as pricing set them, with the instant each changed.
   */
  setPrices(
    sku: string,
    prices: { storeId: string; price: Money }[],
    admin: Identity,
    requestId: string,
  ): Promise<StorePriceView[]>;
}

/**
 * Pricing owns prices, so the prices an admin sends with a product are handed to pricing's own admin route,
 * signed with the admin's identity exactly as the edge would. The PUT is idempotent, so retries are safe.
 */
export function pricingClient(config: Config): PricingClient {
  const policy = policyFor("pricing", {
    timeoutMs: 3_000,
    retries: 2,
    isTransient: (error) => !(error instanceof AppError),
  });
  const baseUrl = serviceUrl(config, "pricing");

  const putPrice = (storeId: string, sku: string, price: Money, admin: Identity, requestId: string) =>
    policy.execute(async (signal) => {
      const path = `/v1/admin/stores/${storeId}/prices/${sku}`;
      const body = JSON.stringify({ price });
      const timestamp = Date.now();
      const nonce = newNonce();
      const signature = await signRequest({
        secret: config.EDGE_SIGNING_SECRET,
        method: "PUT",
        path,
        timestamp,
        body,
        userId: admin.userId,
        roles: admin.roles,
        nonce,
      });
      const response = await fetch(`${baseUrl}${path}`, {
        method: "PUT",
        body,
        signal,
        headers: {
          "content-type": "application/json",
          [REQUEST_ID_HEADER]: requestId,
          [USER_ID_HEADER]: admin.userId,
          [USER_ROLES_HEADER]: admin.roles.join(","),
          [EDGE_TIMESTAMP_HEADER]: String(timestamp),
          [EDGE_NONCE_HEADER]: nonce,
          [EDGE_SIGNATURE_HEADER]: signature,
        },
      });
      if (response.status >= 500) throw new Error(`pricing answered ${response.status}`);
      if (!response.ok)
        throw new AppError(422, "price_rejected", `pricing refused the price for store ${storeId}`);
      return StorePriceView.parse(await response.json());
    });

  return {
    async setPrices(sku, prices, admin, requestId) {
      try {
        return await Promise.all(
          prices.map(({ storeId, price }) => putPrice(storeId, sku, price, admin, requestId)),
        );
      } catch (error) {
        if (error instanceof AppError) throw error;
        // The product itself is committed; repeating the same upsert is safe and sets the prices.
        throw new AppError(
          503,
          "pricing_unavailable",
          "The product was saved but pricing did not take its prices; retry",
        );
      }
    },
  };
}
