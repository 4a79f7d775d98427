import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { topicDeclarations } from "@qc/contracts";
import type { Subprocess } from "bun";
import { migrateAll } from "../../core/migrate";
import { createKafkaBus, deleteTopics } from "../../core/shared/bus/kafka";
import { type Config, loadConfig } from "../../core/shared/config";
import { SERVICE_NAMES, type ServiceName, serviceUrl } from "../../core/shared/runtime/context";
import { RUNTIME_ENV } from "../../core/shared/runtime/runtime-env";
import { brokerPort, type KafkaBroker, startKafka } from "../infra/kafka";
import { ensureMachineServices } from "../infra/services";
import { startZipkin } from "../infra/zipkin";
import { seedDemoData } from "../seed";
import { forEachLine, type LogFormat, lineFormatter } from "./output";

const root = resolve(import.meta.dir, "../..");

/**
 * Postgres pool per service (`DB_POOL_MAX` of its process): the saga's services hold connections across
 * consumer batches and requests, auth and catalog mostly answer cached reads. `<SERVICE>_DB_POOL_MAX`
 * (e.g. ORDER_DB_POOL_MAX=16) overrides one. 62 in all, well under the 300 connections infra sets.
 */
export const DEFAULT_POOL_SIZES: Record<ServiceName, number> = {
  auth: 4,
  catalog: 4,
  pricing: 6,
  cart: 6,
  inventory: 10,
  order: 12,
  payment: 10,
  delivery: 10,
};

export interface PlatformOptions {
  /** Settings for this run (ports, DATABASE_URL, TOPIC_PREFIX, LOG_LEVEL…), over the process's own env. */
  env?: Record<string, string>;
  /** Extra `wrangler dev --var NAME:value` for the edge (e.g. RATE_LIMIT_CHECKOUT_PER_MINUTE). */
  edgeVars?: Record<string, string>;
  /** Loads the demo stores, products and riders (default true). */
  seed?: boolean;
  /** Children's lines: `pretty`/`json` on stdout, or `ignore` (default `pretty`). */
  output?: LogFormat | "ignore";
  /** Writes children's lines (as `output` formats them) to this file instead of stdout. */
  logFile?: string;
  /** The launcher's own progress lines (default: `[dev] …` on stdout). */
  log?: (line: string) => void;
  /** Called when a child exits while the platform is running (not when stop() stops it). */
  onUnexpectedExit?: (name: string, code: number | null) => void;
  /**
   * `wrangler dev --log-level` (default wrangler's: every request and the Worker's log lines). A bench sets
   * `warn`: printing a line per request through wrangler's Node process costs CPU production does not spend.
   */
  edgeLogLevel?: "debug" | "info" | "log" | "warn" | "error" | "none";
  /**
   * DevTools' inspector on the edge (default true, `wrangler dev`). False starts wrangler's dev server through
   * its API with the inspector off (scripts/platform/edge-dev.mjs): with it on, every subrequest's DevTools
   * Network events go to wrangler's Node process one request each and into its debug log file.
   */
  edgeInspector?: boolean;
  /**
   * Delete the run's topics when it stops (a bench's or a test's, under their own TOPIC_PREFIX): left behind,
   * each run's 60-odd partitions would weigh on every later run of a broker whose data directory is kept.
   * `npm run dev` keeps its topics, which hold the developer's data.
   */
  deleteTopicsOnStop?: boolean;
  /** Where wrangler keeps the edge's local KV (default `.qc/wrangler/<edge port>`, so runs don't share it). */
  persistTo?: string;
  /** Start a local Zipkin and send every service's spans to it. */
  zipkin?: boolean;
  /** Aborting it during start-up stops whatever was started and rejects (Ctrl-C while starting). */
  signal?: AbortSignal;
}

export interface PlatformProcess {
  name: string;
  pid: number;
}

export interface Platform {
  config: Config;
  /** The edge's origin, e.g. http://127.0.0.1:8787. */
  edgeUrl: string;
  /** Every child started: Upstash server, one per core service, wrangler (whose workerd is below it). */
  processes(): PlatformProcess[];
  /** Stops every child (SIGTERM, SIGKILL after 15 s), then Kafka and Zipkin if this call started them. */
  stop(): Promise<void>;
}

const waitFor = async (
  name: string,
  url: string,
  child: Subprocess,
  signal: AbortSignal | undefined,
  timeoutMs = 90_000,
) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before answering`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {}
    await Bun.sleep(300);
  }
  throw new Error(`${name} did not answer ${url} within ${timeoutMs / 1000}s`);
};

/**
 * The whole platform on this machine, as in production one process per core service: Postgres and Redis
 * (started if down), a Kafka broker (reused if one answers), migrations, topics, `bun core/<service>/main.ts`
 * for each service with its own pool size, the Upstash REST server, demo data, and the edge under
 * `wrangler dev` pointed at this run's ports. Used by `npm run dev` and the edge benchmarks. If start-up
 * fails, whatever was started is stopped before the error is thrown.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const log = options.log ?? ((line: string) => console.log(`[dev] ${line}`));
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...options.env };
  const config = loadConfig(env);
  const output = options.output ?? "pretty";
  const format = lineFormatter(
    output === "json" ? "json" : "pretty",
    !options.logFile && (process.stdout.isTTY ?? false),
  );
  const sink = options.logFile ? Bun.file(options.logFile).writer() : undefined;
  const print = (line: string) => (sink ? void sink.write(`${line}\n`) : console.log(line));
  const children: { name: string; child: Subprocess }[] = [];
  let stopping = false;
  let kafka: KafkaBroker | undefined;
  let zipkin: Awaited<ReturnType<typeof startZipkin>> | undefined;
  let topicsCreated = false;

  const spawn = (name: string, command: string[], childEnv: Record<string, string> = {}) => {
    const child = Bun.spawn(command, {
      cwd: root,
      env: { ...env, ...childEnv },
      stdin: "ignore",
      stdout: output === "ignore" ? "ignore" : "pipe",
      stderr: output === "ignore" ? "ignore" : "pipe",
    });
    if (output !== "ignore") {
      const show = (line: string) => print(format(name, line));
      void forEachLine(child.stdout as ReadableStream<Uint8Array>, show).catch(() => {});
      void forEachLine(child.stderr as ReadableStream<Uint8Array>, show).catch(() => {});
    }
    children.push({ name, child });
    child.exited.then((code) => {
      if (!stopping) options.onUnexpectedExit?.(name, code);
    });
    return child;
  };

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // The edge first (no new requests), then the services (they drain their consumers), then the rest.
    const order = [...children].reverse();
    for (const { child } of order) child.kill("SIGTERM");
    await Promise.race([Promise.all(order.map(({ child }) => child.exited)), Bun.sleep(15_000)]);
    for (const { child } of order) if (child.exitCode === null) child.kill("SIGKILL");
    await Promise.all(order.map(({ child }) => child.exited));
    // While the broker still runs (see deleteTopicsOnStop).
    if (topicsCreated && options.deleteTopicsOnStop && config.TOPIC_PREFIX)
      await deleteTopics(
        config.KAFKA_BROKERS,
        topicDeclarations(config.TOPIC_PREFIX).map((topic) => topic.name),
      ).catch(() => {});
    await kafka?.stop();
    await zipkin?.stop();
    await sink?.end();
  };

  try {
    log("starting PostgreSQL and Redis if they are down");
    await ensureMachineServices(config.DATABASE_URL, config.REDIS_URL);
    kafka = await startKafka({ port: brokerPort(config.KAFKA_BROKERS), log });
    if (options.zipkin) {
      // Traces go to a local Zipkin (UI at http://127.0.0.1:9411); every child inherits ZIPKIN_URL.
      zipkin = await startZipkin({ log });
      env.ZIPKIN_URL = zipkin.spansUrl;
    }

    options.signal?.throwIfAborted();
    log("migrating every service schema and creating topics");
    await migrateAll(config);
    // Created once here rather than by eight services racing to create them at the same moment.
    const bus = createKafkaBus({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-dev` });
    try {
      await bus.ensureTopics(topicDeclarations(config.TOPIC_PREFIX));
      topicsCreated = true;
    } finally {
      await bus.disconnect();
    }

    options.signal?.throwIfAborted();
    const bun = process.execPath;
    const upstashPort = env.UPSTASH_PORT ?? "8079";
    spawn("upstash", [bun, "core/tooling/upstash-rest/main.ts"], { UPSTASH_PORT: upstashPort });
    const pools = Object.fromEntries(
      SERVICE_NAMES.map((name) => [
        name,
        Number(env[`${name.toUpperCase()}_DB_POOL_MAX`] ?? DEFAULT_POOL_SIZES[name]),
      ]),
    ) as Record<ServiceName, number>;
    log(
      `starting ${SERVICE_NAMES.length} services, one process each (Postgres pools: ${SERVICE_NAMES.map((name) => `${name} ${pools[name]}`).join(", ")})`,
    );
    const services = SERVICE_NAMES.map((name) => ({
      name,
      // A service's own main.ts defaults to production (and its checks); this platform is for development.
      child: spawn(name, [bun, `core/${name}/main.ts`], {
        ...RUNTIME_ENV,
        DB_POOL_MAX: String(pools[name]),
        NODE_ENV: env.NODE_ENV ?? "development",
        // One process per service here, so the service's name is a stable identity across its restarts.
        KAFKA_INSTANCE_ID: name,
      }),
    }));
    await Promise.all(
      services.map(({ name, child }) =>
        waitFor(name, `${serviceUrl(config, name)}/health/live`, child, options.signal),
      ),
    );
    if (options.seed ?? true) {
      log("seeding demo data");
      await seedDemoData(config);
    }

    options.signal?.throwIfAborted();
    // The edge is pointed at this run's services and Upstash server, so every port can be moved by env.
    const edge = new URL(config.EDGE_URL);
    const persistTo = options.persistTo ?? join(root, ".qc/wrangler", edge.port || "80");
    mkdirSync(persistTo, { recursive: true });
    const vars = {
      ...Object.fromEntries(
        SERVICE_NAMES.map((name) => [`${name.toUpperCase()}_URL`, serviceUrl(config, name)]),
      ),
      UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${upstashPort}`,
      EDGE_SIGNING_SECRET: config.EDGE_SIGNING_SECRET,
      PURGE_SECRET: config.PURGE_SECRET,
      // A run with its own topics (a test, a bench) counts rate-limit windows of its own in the shared Redis.
      ...(config.TOPIC_PREFIX ? { RATE_LIMIT_PREFIX: `qc:ratelimit:${config.TOPIC_PREFIX}` } : {}),
      ...options.edgeVars,
    };
    // Either `wrangler dev` (with DevTools) or wrangler's dev server with the inspector off (edge-dev.mjs).
    const command =
      options.edgeInspector === false
        ? [
            "node",
            join(root, "scripts/platform/edge-dev.mjs"),
            join(root, "wrangler.toml"),
            edge.hostname,
            edge.port,
            persistTo,
            options.edgeLogLevel ?? "log",
            JSON.stringify(vars),
          ]
        : [
            join(root, "node_modules/.bin/wrangler"),
            "dev",
            "--ip",
            edge.hostname,
            "--port",
            edge.port,
            "--inspector-port",
            env.EDGE_INSPECTOR_PORT ?? "9229",
            "--persist-to",
            persistTo,
            "--show-interactive-dev-session=false",
            ...(options.edgeLogLevel ? ["--log-level", options.edgeLogLevel] : []),
            "--var",
            ...Object.entries(vars).map(([name, value]) => `${name}:${value}`),
          ];
    const wrangler = spawn(
      "edge",
      command,
      // No network beyond the registries here: the placeholder `Request.cf`, not a failed fetch and its stack.
      { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    );
    await waitFor("edge", `${edge.origin}/v1/health`, wrangler, options.signal, 120_000);
    return {
      config,
      edgeUrl: edge.origin,
      processes: () => children.map(({ name, child }) => ({ name, pid: child.pid })),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
