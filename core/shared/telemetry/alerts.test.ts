import { describe, expect, it } from "bun:test";
import { resolve } from "node:path";
import { registry } from "./metrics";

const rulesFile = resolve(import.meta.dir, "../../../infra/prometheus/alerts.yml");

interface RuleFile {
  groups: { name: string; rules: { alert: string; expr: string; labels?: Record<string, string> }[] }[];
}

// PromQL words that are not metric names.
const PROMQL_WORDS = new Set([
  "sum",
  "max",
  "min",
  "avg",
  "by",
  "without",
  "rate",
  "increase",
  "histogram_quantile",
  "clamp_min",
  "le",
  "and",
  "or",
  "unless",
  "on",
  "ignoring",
  "bool",
]);
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

/** The metric names an expression reads: identifiers left once matchers, ranges, groupings and numbers go. */
const metricNames = (expr: string): string[] =>
  (
    expr
      .replace(/\{[^}]*\}/g, "")
      .replace(/\[[^\]]*\]/g, "")
      .replace(/\b(by|without) \([^)]*\)/g, "")
      .replace(/\b\d[\d.]*(e-?\d+)?\b/g, "")
      .match(/[a-z_][a-z0-9_]*/gi) ?? []
  ).filter((word) => !PROMQL_WORDS.has(word));

describe("alerting rules", async () => {
  const rules = Bun.YAML.parse(await Bun.file(rulesFile).text()) as RuleFile;
  const defined = new Set((await registry.getMetricsAsJSON()).map((metric) => metric.name));
  const all = rules.groups.flatMap((group) => group.rules);

  it("cover checkout p99, rejection rate, outbox backlog, DLQ growth, consumer lag and open breakers", () => {
    const exprs = all.map((rule) => rule.expr).join("\n");
    for (const metric of [
      "checkout_to_confirmed_seconds_bucket",
      'saga_outcomes_total{outcome="rejected"}',
      "outbox_backlog_age_seconds",
      "kafka_dead_letters_total",
      "kafka_consumer_lag",
      "circuit_breaker_state",
    ]) {
      expect(exprs).toContain(metric);
    }
  });

  it.each(all.map((rule) => [rule.alert, rule] as const))("%s reads only metrics core defines", (_, rule) => {
    const names = metricNames(rule.expr);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(defined).toContain(name.replace(HISTOGRAM_SUFFIX, ""));
    expect(rule.labels?.severity).toMatch(/^(page|ticket)$/);
  });

  it("pass promtool's check when promtool is installed", async () => {
    if (!Bun.which("promtool")) return;
    const check = Bun.spawn(["promtool", "check", "rules", rulesFile], { stdout: "pipe", stderr: "pipe" });
    expect(await check.exited).toBe(0);
  });
});
