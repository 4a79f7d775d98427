import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { alive, type Controllable, stopChild, waitUntil } from "./process";

const root = resolve(import.meta.dir, "../../..");

export interface ServiceProcess extends Controllable {
  name: string;
  url: string;
}

/**
 * One core service as its own process (`bun core/<name>/main.ts`) with the given environment (its port,
 * DATABASE_URL, REDIS_URL, KAFKA_BROKERS, ... pointing at the harness's private dependencies), so a test
 * can crash it with SIGKILL or stop it with SIGTERM and start it again.
 */
export async function startServiceProcess(
  name: string,
  options: { port: number; env: Record<string, string>; host?: string; logFile?: string },
): Promise<ServiceProcess> {
  const host = options.host ?? "127.0.0.1";
  const url = `http://${host}:${options.port}`;
  let child: Subprocess | undefined;
  const start = async () => {
    const output = options.logFile ? Bun.file(options.logFile) : "ignore";
    child = Bun.spawn([process.execPath, join(root, "core", name, "main.ts")], {
      cwd: root,
      env: {
        ...process.env,
        ...options.env,
        HOST: host,
        [`${name.toUpperCase()}_PORT`]: String(options.port),
      },
      stdout: output,
      stderr: output,
    });
    await waitUntil(
      `${name} on ${url}`,
      async () => {
        if (!alive(child)) throw new Error(`${name} exited with ${child?.exitCode ?? child?.signalCode}`);
        return (await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(1_000) })).ok;
      },
      60_000,
    );
  };
  await start();
  return {
    name,
    url,
    start,
    stop: async ({ crash = false } = {}) => {
      if (child) await stopChild(child, { crash });
    },
    get running() {
      return alive(child);
    },
  };
}
