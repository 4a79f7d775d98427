/** Starts the local Upstash REST server from env: UPSTASH_PORT, REDIS_URL, UPSTASH_TOKEN. */
import { startUpstashRestServer } from "./server";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const server = startUpstashRestServer({
  port: Number(process.env.UPSTASH_PORT ?? 8079),
  redisUrl,
  token: process.env.UPSTASH_TOKEN ?? "dev-upstash-token",
});
console.log(`Upstash REST server on ${server.url} → ${redisUrl}`);

const shutdown = async () => {
  await server.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
