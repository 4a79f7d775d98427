import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { CORE_DOUBLE_URL, UPSTASH_URL } from "./test/ports.ts";

const coreUrls = Object.fromEntries(
  ["AUTH", "CATALOG", "PRICING", "CART", "INVENTORY", "ORDER", "PAYMENT", "DELIVERY"].map((name) => [
    `${name}_URL`,
    CORE_DOUBLE_URL,
  ]),
);

/** Edge tests run inside workerd with the bindings of ../wrangler.toml, pointed at the test servers. */
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "../wrangler.toml" },
      miniflare: {
        // Data points are written at once: a test's request would otherwise wait out the gathering.
        bindings: {
          ...coreUrls,
          UPSTASH_REDIS_REST_URL: UPSTASH_URL,
          CORE_TIMEOUT_MS: "500",
          OPS_LOCAL_FLUSH_MS: "0",
        },
      },
    }),
  ],
  test: {
    include: ["src/**/*.test.ts"],
    globalSetup: ["./test/global-setup.ts"],
    silent: "passed-only",
  },
});
