import { RedisClient } from "bun";

/**
 * Opens a Bun RedisClient that speaks RESP2. Upstash's REST replies have RESP2 shapes (HGETALL as a flat
 * array, scores as strings), which @upstash/redis decodes; Bun's default RESP3 would hand back maps and
 * doubles instead.
 */
export async function openResp2Connection(redisUrl: string): Promise<RedisClient> {
  // No auto-reconnect: a silent reconnect would renegotiate RESP3 and change reply shapes underneath us.
  const client = new RedisClient(redisUrl, { autoReconnect: false });
  await client.send("HELLO", ["2"]);
  return client;
}

/** One long-lived RESP2 connection shared by all requests (Bun pipelines them), reopened after it drops. */
export function sharedResp2Connection(redisUrl: string) {
  let current: Promise<RedisClient> | undefined;
  return {
    async get(): Promise<RedisClient> {
      const seen = current;
      const client = await seen?.catch(() => undefined);
      if (client?.connected) return client;
      // Only the first caller to notice the drop reopens; the others await the same new connection.
      if (current === seen) current = openResp2Connection(redisUrl);
      return current as Promise<RedisClient>;
    },
    async close(): Promise<void> {
      (await current?.catch(() => undefined))?.close();
      current = undefined;
    },
  };
}
