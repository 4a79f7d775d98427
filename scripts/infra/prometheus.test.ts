import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { metrics, registry } from "../../core/shared/telemetry/metrics";
import { type PrometheusServer, startPrometheus } from "./prometheus";

const freePort = (): number => {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
};

// A real Prometheus (Debian's package, installed when missing) scraping a process that serves core's
// registry, with the repository's rules: the lag a consumer group reports turns ConsumerLagHigh pending.
describe("Prometheus for development", () => {
  const group = `prom-probe-${crypto.randomUUID().slice(0, 8)}`;
  let prometheus: PrometheusServer;
  let service: ReturnType<typeof Bun.serve>;

  beforeAll(async () => {
    service = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async () =>
        new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } }),
    });
    metrics.consumerLag(group, "inventory.events.v1", 0, 4_000);
    prometheus = await startPrometheus({
      port: freePort(),
      targets: [{ name: "order", url: `http://127.0.0.1:${service.port}` }],
      log: () => {},
    });
  }, 180_000);
  afterAll(async () => {
    await prometheus?.stop();
    service?.stop(true);
  });

  const api = async <T>(path: string): Promise<T> =>
    ((await (await fetch(`${prometheus.url}/api/v1/${path}`)).json()) as { data: T }).data;

  it("scrapes the service's /metrics and evaluates the repository's alert rules on it", async () => {
    expect(prometheus.owned).toBe(true);
    type Rules = {
      groups: { rules: { name: string; state?: string; alerts?: { labels: Record<string, string> }[] }[] }[];
    };
    let lagAlert: Rules["groups"][number]["rules"][number] | undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const rules = await api<Rules>("rules?type=alert");
      lagAlert = rules.groups.flatMap((g) => g.rules).find((rule) => rule.name === "ConsumerLagHigh");
      if (lagAlert?.alerts?.some((alert) => alert.labels.group === group)) break;
      await Bun.sleep(1_000);
    }
    const rules = await api<Rules>("rules?type=alert");
    expect(rules.groups.flatMap((g) => g.rules.map((rule) => rule.name))).toContain("CheckoutP99TooSlow");
    // Pending: the condition holds; it fires once it has held for the rule's 5 minutes.
    expect(lagAlert?.state).toBe("pending");
    const lagged = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
      `query?query=${encodeURIComponent(`kafka_consumer_lag{group="${group}"}`)}`,
    );
    expect(lagged.result[0]?.value[1]).toBe("4000");
    expect(lagged.result[0]?.metric.service).toBe("order");
  }, 90_000);
});
