import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisClient, type Subprocess } from "bun";
import { alive, type Controllable, freePort, stopChild, waitUntil } from "./process";

export interface PrivateRedis extends Controllable {
  port: number;
  url: string;
  destroy(): Promise<void>;
}

/** A redis-server of the harness's own (never the machine's on 6379), with append-only persistence. */
export async function startPrivateRedis(options: { port?: number } = {}): Promise<PrivateRedis> {
  const port = options.port ?? freePort();
  const dir = mkdtempSync(join(tmpdir(), "qc-faults-redis-"));
  const url = `redis://127.0.0.1:${port}`;
  let child: Subprocess | undefined;
  const answers = async () => {
    const client = new RedisClient(url, { connectionTimeout: 500, autoReconnect: false });
    try {
      return (await client.send("PING", [])) === "PONG";
    } finally {
      client.close();
    }
  };
  const start = async () => {
    child = Bun.spawn(
      ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes"],
      { stdout: "ignore", stderr: "ignore" },
    );
    await waitUntil(`redis on ${port}`, answers);
  };
  const stop = async ({ crash = false } = {}) => {
    if (child) await stopChild(child, { crash });
  };
  await start();
  return {
    port,
    url,
    start,
    stop,
    get running() {
      return alive(child);
    },
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
