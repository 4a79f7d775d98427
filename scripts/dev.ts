import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { migrateAll } from "../core/migrate";
import { loadConfig } from "../core/shared/config";
import { SERVICE_NAMES, serviceUrl } from "../core/shared/runtime/context";
import { startKafka } from "./infra/kafka";
import { ensureMachineServices } from "./infra/services";
import { startZipkin } from "./infra/zipkin";
import { seedDemoData } from "./seed";

/**
 * `npm run dev`: the whole platform on this machine — Postgres and Redis (started if down), a Kafka broker,
 * migrations, demo data, every core service, the Upstash REST server and the edge under `wrangler dev` on
 * :8787. Ctrl-C or SIGTERM stops every process it started, the broker's JVM included.
 */
const root = resolve(import.meta.dir, "..");
const config = loadConfig();
const children: Subprocess[] = [];
let stopping = false;

const say = (line: string) => console.log(`[dev] ${line}`);

const spawn = (name: string, command: string[], env: Record<string, string> = {}) => {
  const child = Bun.spawn(command, {
    cwd: root,
    env: { ...process.env, ...env },
    stdout: "inherit",
    stderr: "inherit",
  });
  children.push(child);
  child.exited.then((code) => {
    if (!stopping) {
      say(`${name} exited with ${code}; stopping the platform`);
      void shutdown(1);
    }
  });
  return child;
};

const waitFor = async (name: string, url: string, timeoutMs = 90_000) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {}
    await Bun.sleep(300);
  }
  throw new Error(`${name} did not answer ${url} within ${timeoutMs / 1000}s`);
};

say("starting PostgreSQL and Redis if they are down");
await ensureMachineServices(config.DATABASE_URL, config.REDIS_URL);
const kafka = await startKafka({ port: Number(config.KAFKA_BROKERS[0]?.split(":")[1] ?? 9092), log: say });
// ZIPKIN=1: traces go to a local Zipkin (UI at http://127.0.0.1:9411); every child inherits ZIPKIN_URL.
const zipkin = process.env.ZIPKIN === "1" ? await startZipkin({ log: say }) : undefined;
if (zipkin) process.env.ZIPKIN_URL = zipkin.spansUrl;

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  say("stopping…");
  for (const child of children.reverse()) child.kill("SIGTERM");
  await Promise.race([Promise.all(children.map((child) => child.exited)), Bun.sleep(15_000)]);
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await kafka.stop();
  await zipkin?.stop();
  say("stopped");
  process.exit(code);
}
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());

say("migrating every service schema");
await migrateAll(config);

const bun = process.execPath;
const upstashPort = process.env.UPSTASH_PORT ?? "8079";
spawn("upstash-rest", [bun, "core/tooling/upstash-rest/main.ts"], { UPSTASH_PORT: upstashPort });
spawn("core", [bun, "core/main.ts"]);
for (const [name, port] of Object.entries({ auth: config.AUTH_PORT, catalog: config.CATALOG_PORT })) {
  await waitFor(name, `http://127.0.0.1:${port}/health/live`);
}
say("seeding demo data");
await seedDemoData(config);
// The edge is pointed at this run's core and Upstash server, so every port can be moved by env.
const edge = new URL(config.EDGE_URL);
spawn("edge", [
  join(root, "node_modules/.bin/wrangler"),
  "dev",
  "--ip",
  edge.hostname,
  "--port",
  edge.port,
  "--inspector-port",
  process.env.EDGE_INSPECTOR_PORT ?? "9229",
  "--var",
  ...SERVICE_NAMES.map((name) => `${name.toUpperCase()}_URL:${serviceUrl(config, name)}`),
  `UPSTASH_REDIS_REST_URL:http://127.0.0.1:${upstashPort}`,
  `EDGE_SIGNING_SECRET:${config.EDGE_SIGNING_SECRET}`,
  `PURGE_SECRET:${config.PURGE_SECRET}`,
]);
await waitFor("edge", `${edge.origin}/v1/health`, 120_000).catch((error) => say(String(error)));
say(`ready: ${edge.origin} (edge) — Ctrl-C stops everything`);
