import { describe, expect, it } from "bun:test";
import { quietPort } from "./ports";

describe("quietPort", () => {
  it("finds a port below the ephemeral range that a server can listen on", () => {
    const port = quietPort();
    expect(port).toBeGreaterThanOrEqual(20_000);
    expect(port).toBeLessThan(32_000);
    const server = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    server.stop(true);
  });

  it("skips a port that is taken", () => {
    const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      expect(quietPort({ from: taken.port, to: taken.port + 2 })).toBe(taken.port + 1);
    } finally {
      taken.stop(true);
    }
  });
});
