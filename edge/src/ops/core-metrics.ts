import type { OpsSummary, ServiceName } from "@qc/contracts";
import { callCore } from "../core/call";
import { services } from "../core/services";

/** One sample of Prometheus' text exposition format: `name{label="value",…} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const unescapeLabel = (value: string) =>
  value.replace(/\\(.)/g, (_, char: string) => (char === "n" ? "\n" : char));

/**
 * The samples of the named metric families in a /metrics answer. A small parse of the text format (version
 * 0.0.4, what prom-client writes): comments skipped, label values unescaped, timestamps ignored. npm's
 * parsers of it are unmaintained, and the dashboard reads only counters and gauges by name.
 */
export function parseSamples(text: string, names: ReadonlySet<string>): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = SAMPLE.exec(line);
    if (!match?.[1] || !names.has(match[1])) continue;
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? "").matchAll(LABEL)) {
      if (name && value !== undefined) labels[name] = unescapeLabel(value);
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

const READ = new Set(["saga_outcomes_total", "kafka_consumer_lag", "circuit_breaker_state"]);
const BREAKER_STATES = ["closed", "half-open", "open"] as const;

type CoreFigures = Pick<OpsSummary, "services" | "rejections" | "consumerLag" | "breakers">;

/**
 * Core's figures from every service's `GET /metrics` (signed and behind the edge's breakers like any call
 * to core): checkout sagas that did not confirm by reason, consumer lag per group, and core's breakers.
 * A service that does not answer is reported down and adds nothing.
 */
export async function coreFigures(env: Env, requestId: string, traceparent: string): Promise<CoreFigures> {
  const scraped = await Promise.all(
    services.map(async (service): Promise<[ServiceName, Sample[] | null]> => {
      try {
        const response = await callCore(env, {
          service,
          method: "GET",
          path: "/metrics",
          requestId,
          traceparent,
          timeoutMs: 2_000,
        });
        return [service, response.ok ? parseSamples(await response.text(), READ) : null];
      } catch {
        return [service, null];
      }
    }),
  );
  const figures: CoreFigures = { services: [], rejections: [], consumerLag: [], breakers: [] };
  for (const [service, samples] of scraped) {
    figures.services.push({ service, up: samples !== null });
    const lagByGroup = new Map<string, number>();
    for (const { name, labels, value } of samples ?? []) {
      if (name === "saga_outcomes_total" && labels.outcome !== "confirmed") {
        figures.rejections.push({ outcome: labels.outcome ?? "", reason: labels.reason ?? "", count: value });
      } else if (name === "kafka_consumer_lag") {
        const group = labels.group ?? "";
        lagByGroup.set(group, (lagByGroup.get(group) ?? 0) + Math.max(0, value));
      } else if (name === "circuit_breaker_state") {
        figures.breakers.push({
          owner: service,
          dependency: labels.dependency ?? "",
          state: BREAKER_STATES[value] ?? "open",
        });
      }
    }
    for (const [group, lag] of lagByGroup) figures.consumerLag.push({ service, group, lag });
  }
  figures.rejections.sort((a, b) => b.count - a.count);
  return figures;
}
