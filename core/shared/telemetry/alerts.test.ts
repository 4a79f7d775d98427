import { describe, expect, it } from "bun:test";
import { resolve } from "node:path";
import { registry } from "./metrics";

const rulesFile = resolve(import.meta.dir, "../../../infra/prometheus/alerts.yml");
const rulesTestFile = resolve(import.meta.dir, "../../../infra/prometheus/alerts.test.yml");

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

  // No silent pass: without promtool these rules are unproven. `npm test` installs it (Debian's package).
  const promtool = async (...args: string[]) => {
    const path = Bun.which("promtool");
    if (!path) throw new Error("promtool is missing: install Debian's `prometheus` package (npm test does)");
    const child = Bun.spawn([path, ...args], { stdout: "pipe", stderr: "pipe" });
    const [code, out, err] = await Promise.all([
      child.exited,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    return { code, output: out + err };
  };

  it("pass promtool's check", async () => {
    const { code, output } = await promtool("check", "rules", rulesFile);
    expect(output).toContain(`SUCCESS: ${all.length} rules found`);
    expect(code).toBe(0);
  });

  it("each fire on their condition and stay quiet without it (promtool test rules)", async () => {
    const { code, output } = await promtool("test", "rules", rulesTestFile);
    if (code !== 0) console.error(output);
    expect(code).toBe(0);
  });

  it.each(all.map((rule) => [rule.alert] as const))(
    "%s has a firing case and a quiet case",
    async (alert) => {
      const suite = Bun.YAML.parse(await Bun.file(rulesTestFile).text()) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
      };
      const cases = suite.tests
        .flatMap((test) => test.alert_rule_test ?? [])
        .filter((c) => c.alertname === alert);
      expect(cases.some((c) => (c.exp_alerts ?? []).length > 0)).toBe(true);
      expect(cases.some((c) => (c.exp_alerts ?? []).length === 0)).toBe(true);
    },
  );
});
