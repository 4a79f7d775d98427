import { StoreView } from "@qc/contracts";
import { callJson, isTransient, UpstreamError } from "../../shared/http/client";
import { policyFor } from "../../shared/resilience";
import { type ServiceContext, serviceUrl } from "../../shared/runtime/context";
import type { Database } from "../db/schema";

/** Catalog, the owner of stores: asked directly when delivery has not heard of a store yet. */
export function catalogClient(ctx: ServiceContext<Database>) {
  const policy = policyFor("catalog", { timeoutMs: 2_000, retries: 1, isTransient });
  const catalogUrl = serviceUrl(ctx.config, "catalog");
  return {
    /** The store as catalog has it now; null when catalog knows no such store. */
    async store(storeId: string): Promise<StoreView | null> {
      try {
        return await callJson(
          policy,
          { method: "GET", url: `${catalogUrl}/internal/v1/stores/${storeId}` },
          StoreView,
        );
      } catch (error) {
        if (error instanceof UpstreamError && error.status === 404) return null;
        throw error;
      }
    },
  };
}
