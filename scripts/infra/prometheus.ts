import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureDebianPackage } from "./debian";

const root = resolve(import.meta.dir, "../..");
const home = join(root, ".qc/prometheus");
/** The repository's alerting rules, loaded by the dev Prometheus and checked by `promtool` in the tests. */
export const RULES_FILE = join(root, "infra/prometheus/alerts.yml");

/**
 * Makes sure `prometheus` and `promtool` are on the PATH: when either is missing, installs Debian's
 * `prometheus` package with apt-get (as root, or through sudo; `apt-get update` first, since a fresh
 * machine's package lists may be empty or stale). Throws when they are still missing afterwards.
 */
export async function ensurePrometheus(log: (line: string) => void = console.log): Promise<void> {
  await ensureDebianPackage("prometheus", ["prometheus", "promtool"], log);
}

export interface ScrapeTarget {
  /** The `service` label of its series, e.g. `order`. */
  name: string;
  /** Base URL of the process; its metrics are at `<url>/metrics`. */
  url: string;
}

export interface PrometheusServer {
  url: string;
  /** True when this call started the server (and so may stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

/** prometheus.yml: every target scraped every 5 s, the repository's rules evaluated every 5 s. */
export function prometheusConfig(targets: ScrapeTarget[], rulesFile = RULES_FILE): string {
  const jobs = targets.map((target) => {
    const { host } = new URL(target.url);
    return [
      `  - job_name: ${JSON.stringify(target.name)}`,
      "    metrics_path: /metrics",
      `    static_configs: [{ targets: [${JSON.stringify(host)}], labels: { service: ${JSON.stringify(target.name)} } }]`,
    ].join("\n");
  });
  return [
    "global:",
    "  scrape_interval: 5s",
    "  evaluation_interval: 5s",
    `rule_files: [${JSON.stringify(rulesFile)}]`,
    "scrape_configs:",
    ...jobs,
    "",
  ].join("\n");
}

const ready = async (url: string) => {
  try {
    return (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
};

/**
 * Starts Prometheus (installing it when missing) scraping `targets` with the repository's alert rules, in
 * memory-light local storage under `.qc/prometheus/<port>`, unless one already answers on the port. Alerts
 * show at `<url>/alerts`. The child is killed when this process exits, however it exits.
 */
export async function startPrometheus(options: {
  targets: ScrapeTarget[];
  port?: number;
  log?: (line: string) => void;
}): Promise<PrometheusServer> {
  const port = options.port ?? 9090;
  const url = `http://127.0.0.1:${port}`;
  const log = options.log ?? console.log;
  if (await ready(url)) {
    log(`prometheus already answers on ${url}: using it (its own configuration and rules)`);
    return { url, owned: false, stop: async () => {} };
  }
  await ensurePrometheus(log);
  const dir = join(home, String(port));
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, "prometheus.yml");
  await Bun.write(configFile, prometheusConfig(options.targets));
  const logFile = Bun.file(join(dir, "prometheus.log"));
  const child = Bun.spawn(
    [
      "prometheus",
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      "--storage.tsdb.retention.time=2d",
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdout: logFile, stderr: logFile },
  );
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);
  const deadline = Date.now() + 30_000;
  while (!(await ready(url))) {
    if (child.exitCode !== null)
      throw new Error(`prometheus exited with ${child.exitCode}; see ${logFile.name}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`prometheus did not answer on ${url} within 30s; see ${logFile.name}`);
    }
    await Bun.sleep(300);
  }
  log(`prometheus ready on ${url} (alerts at ${url}/alerts, pid ${child.pid})`);
  return {
    url,
    owned: true,
    async stop() {
      process.off("exit", killOnExit);
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.exited;
      clearTimeout(killer);
    },
  };
}
