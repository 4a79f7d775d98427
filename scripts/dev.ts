import { startPlatform } from "./platform/start";

/**
 * `npm run dev`: the whole platform on this machine — Postgres and Redis (started if down), a Kafka broker,
 * migrations, demo data, one process per core service (as in production), the Upstash REST server and the
 * edge under `wrangler dev` on :8787. Services' log lines are printed as readable one-liners prefixed with
 * the service (`LOG_FORMAT=json` keeps their raw JSON). Ctrl-C or SIGTERM stops every process it started,
 * the broker's JVM included.
 */
const say = (line: string) => console.log(`[dev] ${line}`);
const starting = new AbortController();
let stopping = false;
let exitCode = 0;
let platform: Awaited<ReturnType<typeof startPlatform>> | undefined;

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  say("stopping…");
  // Still starting: the abort makes startPlatform stop what it started; the catch below exits.
  if (!platform) {
    exitCode = code;
    return starting.abort();
  }
  await platform.stop();
  say("stopped");
  process.exit(code);
}
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());

try {
  platform = await startPlatform({
    log: say,
    output: process.env.LOG_FORMAT === "json" ? "json" : "pretty",
    zipkin: process.env.ZIPKIN === "1",
    signal: starting.signal,
    onUnexpectedExit: (name, code) => {
      say(`${name} exited with ${code}; stopping the platform`);
      void shutdown(1);
    },
  });
} catch (error) {
  if (starting.signal.aborted) {
    say("stopped");
    process.exit(exitCode);
  }
  say(`could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
if (starting.signal.aborted) {
  // The signal came as start-up finished: nothing stopped the platform yet.
  await platform.stop();
  say("stopped");
  process.exit(exitCode);
}
// PROMETHEUS=1: a real Prometheus (Debian's package, installed when missing) scraping every service's
// /metrics with the repository's alert rules, so an operator can watch an alert go pending and fire.
if (process.env.PROMETHEUS === "1") {
  const { startPrometheus } = await import("./infra/prometheus");
  const { SERVICE_NAMES, serviceUrl } = await import("../core/shared/runtime/context");
  const { config } = platform;
  await startPrometheus({
    targets: SERVICE_NAMES.map((name) => ({ name, url: serviceUrl(config, name) })),
    port: Number(process.env.PROMETHEUS_PORT) || 9090,
    log: say,
  });
}
const edge = platform.edgeUrl;
say(
  `ready: ${edge} (edge) — try ${edge}/v1/health, the API at ${edge}/docs, the operators' dashboard at ` +
    `${edge}/ops (admin ${platform.config.ADMIN_EMAIL}); Ctrl-C stops everything`,
);
