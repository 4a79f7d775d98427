import { describe, expect, it } from "bun:test";
import { ConfigError, loadConfig } from "./index";

describe("loadConfig", () => {
  it("fills every setting with a default that works on this machine", () => {
    const config = loadConfig({});
    expect(new URL(config.DATABASE_URL).pathname).toBe("/quickcommerce");
    expect(config.KAFKA_BROKERS).toEqual(["127.0.0.1:9092"]);
    expect(config.ORDER_PORT).toBe(4006);
  });

  it("splits a comma-separated broker list", () => {
    expect(loadConfig({ KAFKA_BROKERS: "a:1, b:2" }).KAFKA_BROKERS).toEqual(["a:1", "b:2"]);
  });

  it("names every bad variable in one error", () => {
    const attempt = () =>
      loadConfig({ ORDER_PORT: "not-a-port", DATABASE_URL: "nope", EDGE_SIGNING_SECRET: "short" });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain("ORDER_PORT");
      expect(message).toContain("DATABASE_URL");
      expect(message).toContain("EDGE_SIGNING_SECRET");
    }
  });
});
