import { afterAll, describe, expect, it } from "bun:test";
import { SQL } from "bun";
import { startLatencyProxy } from "./latency-proxy";

// An echo server stands in for any TCP dependency; Postgres below proves a real protocol survives.
const echo = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    data(socket, chunk) {
      socket.write(chunk);
    },
  },
});

const roundTrip = async (port: number, payload: string) => {
  const started = performance.now();
  const { promise, resolve, reject } = Promise.withResolvers<string>();
  let received = "";
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_, chunk) {
        received += chunk.toString();
        if (received.length >= payload.length) resolve(received);
      },
      close() {
        reject(new Error(`closed after ${received.length} bytes`));
      },
    },
  });
  socket.write(payload);
  const answer = await promise;
  socket.end();
  return { answer, ms: performance.now() - started };
};

describe("the latency proxy", () => {
  const proxy = startLatencyProxy({ port: echo.port });
  afterAll(() => {
    proxy.stop();
    echo.stop(true);
  });

  it("passes bytes through unchanged and in order, a megabyte included", async () => {
    const payload = Array.from({ length: 1 << 17 }, (_, i) => String.fromCharCode(97 + (i % 26)))
      .join("")
      .repeat(8);
    const { answer } = await roundTrip(proxy.port, payload);
    expect(answer).toBe(payload);
  });

  it("adds the latency it is set to, each way, and removes it again", async () => {
    const fast = await roundTrip(proxy.port, "ping");
    proxy.setLatency(150);
    const slow = await roundTrip(proxy.port, "ping");
    proxy.setLatency(0);
    const again = await roundTrip(proxy.port, "ping");
    expect(slow.answer).toBe("ping");
    expect(slow.ms).toBeGreaterThanOrEqual(300);
    expect(fast.ms).toBeLessThan(100);
    expect(again.ms).toBeLessThan(100);
  });

  it("cuts connections off and lets them through again after restore", async () => {
    proxy.cut();
    await expect(roundTrip(proxy.port, "ping")).rejects.toThrow("closed");
    proxy.restore();
    expect((await roundTrip(proxy.port, "ping")).answer).toBe("ping");
  });

  it("slows a real Postgres session down by its latency per round trip", async () => {
    const pgProxy = startLatencyProxy({ port: 5432 });
    const sql = new SQL({ url: `postgres://postgres@${pgProxy.host}/postgres`, max: 1 });
    try {
      expect((await sql`select 41 + 1 as answer`)[0].answer).toBe(42);
      pgProxy.setLatency(100);
      const started = performance.now();
      await sql`select 1`;
      expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    } finally {
      await sql.close();
      pgProxy.stop();
    }
  });
});
