import { describe, expect, it } from "bun:test";
import { app as paymentApp } from "../../payment/app";
import { loadConfig, SECRET_SETTINGS } from "../../shared/config";
import { createLogger } from "../../shared/telemetry/logger";

const strongSecrets = Object.fromEntries(SECRET_SETTINGS.map((name) => [name, `${name}-`.padEnd(40, "x")]));

// The app is built as startService builds it; no request below reaches a database.
const paymentRoutes = (nodeEnv: "development" | "production") =>
  paymentApp({
    name: "payment",
    config: loadConfig({ NODE_ENV: nodeEnv, ...strongSecrets }),
    logger: createLogger("payment", "silent"),
  } as unknown as Parameters<typeof paymentApp>[0]);

const latencyDial = "http://core/internal/v1/card-processor/latency";

describe("test-only routes (issue 11, item 4)", () => {
  it("do not exist in a production build: the card processor's latency dial is 404", async () => {
    const production = paymentRoutes("production");
    expect((await production.handle(new Request(latencyDial))).status).toBe(404);
    expect(
      production.routes.filter((route) => route.path.includes("card-processor")).map((route) => route.path),
    ).toEqual([]);
  });

  it("exist outside production, where fault tests turn the dial", async () => {
    const development = paymentRoutes("development");
    expect(development.routes.some((route) => route.path === "/internal/v1/card-processor/latency")).toBe(
      true,
    );
  });
});
