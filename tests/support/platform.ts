import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { services } from "../../core/services";
import { SERVICE_NAMES, type ServiceName, serviceUrl } from "../../core/shared/runtime/context";
import { type TestEnvironment, type TestService, testEnvironment } from "../../core/shared/testing/service";
import { startUpstashRestServer } from "../../core/tooling/upstash-rest/server";

const root = resolve(import.meta.dir, "../..");

const freePort = (): number => {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
};

export interface Platform {
  env: TestEnvironment;
  /** Each core service started, to call it directly signed as the edge (e.g. as a rider or an operator). */
  services: Record<ServiceName, TestService>;
  /** The edge under `wrangler dev`, in workerd. */
  edgeUrl: string;
  /** A request to the edge as a client sends it: a JSON body, and the bearer `token` when given. */
  edge(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  stop(): Promise<void>;
}

const waitFor = async (url: string, timeoutMs: number, child: Subprocess) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).status < 500) return;
    } catch {}
    await Bun.sleep(500);
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000}s`);
};

/**
 * The whole platform for an end-to-end test: every core service on the real Postgres, Redis and Kafka (an
 * isolated database and topic prefix), the Upstash REST server, and the edge in workerd via `wrangler dev`
 * pointed at them.
 */
export async function startPlatform(options: { only?: ServiceName[] } = {}): Promise<Platform> {
  // The edge's port is chosen first so core's purge consumer knows where the edge will listen.
  const port = freePort();
  const env = await testEnvironment({
    database: "qc_e2e",
    env: { EDGE_PURGER: "edge", EDGE_URL: `http://127.0.0.1:${port}` },
  });
  const started: Partial<Record<ServiceName, TestService>> = {};
  // `only` starts a subset (a test of one service through the edge); the others' URLs then refuse.
  for (const service of services) {
    if (!options.only || options.only.includes(service.name))
      started[service.name] = await env.start(service);
  }
  const upstash = await startUpstashRestServer({
    port: freePort(),
    redisUrl: env.config.REDIS_URL,
    token: "dev-upstash-token",
  });
  const vars = [
    ...SERVICE_NAMES.map((name) => `${name.toUpperCase()}_URL:${serviceUrl(env.config, name)}`),
    `UPSTASH_REDIS_REST_URL:${upstash.url}`,
    `EDGE_SIGNING_SECRET:${env.config.EDGE_SIGNING_SECRET}`,
    // Rate-limit windows of this run only: other runs on the shared Redis must not count against them.
    `RATE_LIMIT_PREFIX:qc:ratelimit:${env.config.TOPIC_PREFIX}`,
  ];
  const wrangler = Bun.spawn(
    [
      join(root, "node_modules/.bin/wrangler"),
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(freePort()),
      "--persist-to",
      mkdtempSync(join(tmpdir(), "qc-edge-")),
      "--log-level",
      "warn",
      "--var",
      ...vars,
    ],
    {
      cwd: root,
      stdout: "inherit",
      stderr: "inherit",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    },
  );
  const edgeUrl = `http://127.0.0.1:${port}`;
  // With a subset the health route answers 503 for the missing services; the edge's own document does not.
  await waitFor(`${edgeUrl}${options.only ? "/openapi.json" : "/v1/health"}`, 120_000, wrangler);
  return {
    env,
    services: started as Record<ServiceName, TestService>,
    edgeUrl,
    edge(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.token) headers.set("authorization", `Bearer ${init.token}`);
      if (init.body) headers.set("content-type", "application/json");
      return fetch(`${edgeUrl}${path}`, { ...init, headers });
    },
    async stop() {
      wrangler.kill("SIGTERM");
      await Promise.race([wrangler.exited, Bun.sleep(10_000)]);
      if (wrangler.exitCode === null) wrangler.kill("SIGKILL");
      await upstash.stop();
      await env.stop();
    },
  };
}
