/**
 * The frame of a benchmark through the edge (`checkout-edge`, `live-fanout`): the whole platform started as
 * `npm run dev` starts it (`startPlatform`: one process per core service, the Upstash REST server, the edge
 * under `wrangler dev`), on free ports, with its own database, topic prefix and edge KV, the edge's rate
 * limits raised, children's lines in `.qc/bench/<name>-<run>.log`. The bench's body runs against it; then
 * everything started is stopped and the database dropped — also on Ctrl-C or SIGTERM, and after
 * `timeoutSeconds` at the latest (the run then fails). Exits the process with the body's outcome.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { localPostgresUrl } from "../../../core/shared/config";
import { dropDatabase } from "../../../core/shared/db";
import { SERVICE_NAMES } from "../../../core/shared/runtime/context";
import { PRODUCTION_SAMPLE_RATIO } from "../../../core/shared/telemetry/tracing";
import { quietPorts } from "../../../core/shared/testing/ports";
import { type Platform, startPlatform } from "../../platform/start";
import { type EdgeClient, edgeClient } from "./edge-shoppers";

/** The edge's limits, out of a benchmark's way (one shopper or one machine sends everything). */
export const RAISED_RATE_LIMITS: Readonly<Record<string, string>> = {
  RATE_LIMIT_CHECKOUT_PER_MINUTE: "1000000",
  RATE_LIMIT_USER_PER_MINUTE: "1000000",
  RATE_LIMIT_CREDENTIALS_PER_MINUTE: "1000000",
  RATE_LIMIT_IP_PER_MINUTE: "100000000",
};

export interface EdgeBench {
  platform: Platform;
  /** Requests to the edge. */
  client: EdgeClient;
  /** This run's id (8 hex digits): names its database, topic prefix, log file and bench users. */
  run: string;
  /** A progress line, `[<name>] …`. */
  say: (line: string) => void;
}

export interface EdgeBenchOptions {
  /** The bench's name, e.g. `checkout-edge`. */
  name: string;
  /** Past this, everything is stopped and the run fails (start-up and seeding included). */
  timeoutSeconds: number;
  /** `wrangler dev --var`s over `RAISED_RATE_LIMITS` and `REQUEST_LOG_LEVEL=warn`. */
  edgeVars?: Record<string, string>;
}

export async function runEdgeBench(
  options: EdgeBenchOptions,
  body: (bench: EdgeBench) => Promise<void>,
): Promise<never> {
  const root = resolve(import.meta.dir, "../../..");
  const run = crypto.randomUUID().slice(0, 8);
  const say = (line: string) => console.log(`[${options.name}] ${line}`);
  const database = localPostgresUrl(`qc_bench_${options.name.replaceAll("-", "_")}_${run}`);
  const persistTo = mkdtempSync(join(tmpdir(), `qc-bench-${options.name}-`));
  mkdirSync(join(root, ".qc/bench"), { recursive: true });
  const logFile = join(root, `.qc/bench/${options.name}-${run}.log`);

  let platform: Platform | undefined;
  let finished = false;
  const cleanUp = async () => {
    await platform?.stop();
    rmSync(persistTo, { recursive: true, force: true });
    await dropDatabase(database, { derived: true }).catch(() => {});
  };
  const watchdog = setTimeout(() => {
    say("did not finish in time; stopping everything");
    void cleanUp().finally(() => process.exit(3));
  }, options.timeoutSeconds * 1000);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => void cleanUp().finally(() => process.exit(finished ? 0 : 130)));
  }

  try {
    // HTTP and gRPC ports, all different (a default gRPC port, HTTP + 1000, could be another's HTTP port).
    const free = quietPorts(2 * SERVICE_NAMES.length + 3);
    const ports = Object.fromEntries(
      SERVICE_NAMES.flatMap((name, i) => [
        [`${name.toUpperCase()}_PORT`, String(free[2 * i])],
        [`${name.toUpperCase()}_GRPC_PORT`, String(free[2 * i + 1])],
      ]),
    );
    const [edgePort, inspectorPort, upstashPort] = free.slice(2 * SERVICE_NAMES.length);
    say(`starting the platform (log: ${logFile})`);
    platform = await startPlatform({
      env: {
        ...ports,
        DATABASE_URL: database,
        TOPIC_PREFIX: `bench${run}`,
        KAFKA_CLIENT_ID: `bench-${options.name}-${run}`,
        EDGE_URL: `http://127.0.0.1:${edgePort}`,
        EDGE_INSPECTOR_PORT: String(inspectorPort),
        UPSTASH_PORT: String(upstashPort),
        EDGE_PURGER: "edge",
        // Traces sampled as in production (recording every span is a quarter of core's CPU).
        OTEL_SAMPLE_RATIO: process.env.OTEL_SAMPLE_RATIO ?? String(PRODUCTION_SAMPLE_RATIO),
        LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      },
      // Like the services at LOG_LEVEL warn: the edge writes the lines of failed requests only (data points as ever).
      edgeVars: { ...RAISED_RATE_LIMITS, REQUEST_LOG_LEVEL: "warn", ...options.edgeVars },
      seed: false,
      deleteTopicsOnStop: true,
      edgeLogLevel: "warn",
      edgeInspector: false,
      logFile,
      persistTo,
      log: say,
      onUnexpectedExit: (name, code) => say(`${name} exited with ${code} during the run`),
    });
    await body({ platform, client: edgeClient(platform.edgeUrl), run, say });
    finished = true;
  } catch (error) {
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  } finally {
    clearTimeout(watchdog);
    say("stopping the platform");
    await cleanUp();
  }
  process.exit(process.exitCode ?? 0);
}
