/**
 * One price quote, cart → pricing, over internal HTTP+JSON (`POST /internal/v1/quotes`, signed by the same
 * fetch hook the services install) and over gRPC (`qc.pricing.v1.Pricing/QuoteCart`, core/shared/grpc), side by
 * side against one real pricing process (a child, on real Postgres and Redis). Each transport runs with the
 * client core uses for it (resilience policy, signature, trace headers, zod on both ends): first N calls one at
 * a time (latency), then N calls C at a time (throughput). Prints p50/p99, calls/s and CPU per 1k calls (the
 * caller, this process, and the callee, the pricing process, read from /proc).
 * `npm run bench -- quote-transport [N=3000] [C=16]`
 */
import { Quote, type QuoteRequest } from "@qc/contracts";
import { Pricing } from "@qc/contracts/grpc/services";
import { pricingService } from "../../core/pricing/main";
import { closeGrpcClients, grpcClient } from "../../core/shared/grpc/client";
import { callJson, isTransient } from "../../core/shared/http/client";
import { signInternalCalls } from "../../core/shared/http/service-auth";
import { policyFor } from "../../core/shared/resilience";
import { serviceUrl } from "../../core/shared/runtime/context";
import { testEnvironment } from "../../core/shared/testing/service";
import { spawnService } from "../../core/tests/support/spawn-service";
import { brokerPort, startKafka } from "../infra/kafka";
import { readProcess } from "./support/process-cpu";

const total = Number(process.argv[3] ?? 3_000);
const parallel = Number(process.argv[4] ?? 16);
const admin = { userId: "00000000-0000-4000-8000-000000000001", roles: ["admin" as const] };
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? 0;

const env = await testEnvironment({ database: "qc_bench_quotes", env: { LOG_LEVEL: "warn" } });
// Pricing consumes and publishes its events: it does not start without a broker (one already up is reused).
const kafka = await startKafka({ port: brokerPort(env.config.KAFKA_BROKERS) });
const pricing = await spawnService(pricingService, env.config);
try {
  const storeId = crypto.randomUUID();
  const skus = ["MILK-1L", "BREAD-500G", "EGGS-12"];
  for (const sku of skus) {
    const body = { price: { amountMinor: 249, currency: "INR" } };
    const set = await pricing.call("PUT", `/v1/admin/stores/${storeId}/prices/${sku}`, { body, user: admin });
    if (!set.ok) throw new Error(`price ${sku}: ${set.status} ${await set.text()}`);
  }
  const request: QuoteRequest = {
    userId: crypto.randomUUID(),
    storeId,
    lines: skus.map((sku, i) => ({ sku, quantity: i + 1 })),
  };

  // Exactly what cart's clients do for each transport (policy without retries: a failure shows, not hides).
  signInternalCalls("cart", env.config);
  const policy = (name: string) => policyFor(name, { timeoutMs: 2_000, retries: 0, isTransient });
  const httpPolicy = policy("pricing-http");
  const quotesUrl = `${serviceUrl(env.config, "pricing")}/internal/v1/quotes`;
  const cart = { name: "cart" as const, config: env.config };
  const grpc = grpcClient(
    cart,
    { callee: "pricing", service: Pricing },
    { deadlineMs: 2_000, policy: policy("pricing-grpc") },
  );
  const transports: Record<string, () => Promise<Quote>> = {
    "HTTP+JSON": () => callJson(httpPolicy, { method: "POST", url: quotesUrl, body: request }, Quote),
    gRPC: () => grpc.call("quoteCart", request, Quote),
  };

  const pricingCpu = () => readProcess(pricing.pid ?? 0)?.cpuSeconds ?? Number.NaN;
  const ownCpu = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  };
  const measure = async (call: () => Promise<Quote>, concurrency: number) => {
    const latencies: number[] = [];
    const [caller, callee, started] = [ownCpu(), pricingCpu(), performance.now()];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < total) {
          const begun = performance.now();
          await call();
          latencies.push(performance.now() - begun);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const perThousand = (cpuSeconds: number) => ((cpuSeconds * 1000) / total) * 1000;
    return {
      p50: percentile(latencies, 50).toFixed(2),
      p99: percentile(latencies, 99).toFixed(2),
      callsPerSecond: Math.round(total / seconds),
      callerCpuMsPer1k: Math.round(perThousand(ownCpu() - caller)),
      calleeCpuMsPer1k: Math.round(perThousand(pricingCpu() - callee)),
    };
  };

  console.log(
    `quote-transport: ${total} quotes of ${skus.length} lines per run, against one pricing process`,
  );
  const rows: Record<string, unknown>[] = [];
  for (const [name, call] of Object.entries(transports)) {
    for (let i = 0; i < 300; i++) await call(); // warm: JIT, connections, pricing's price cache
    for (const concurrency of [1, parallel]) {
      const figures = await measure(call, concurrency);
      rows.push({
        transport: name,
        concurrency,
        "p50 ms": figures.p50,
        "p99 ms": figures.p99,
        "calls/s": figures.callsPerSecond,
        "caller CPU ms/1k": figures.callerCpuMsPer1k,
        "pricing CPU ms/1k": figures.calleeCpuMsPer1k,
        "total CPU ms/1k": figures.callerCpuMsPer1k + figures.calleeCpuMsPer1k,
      });
    }
  }
  console.table(rows);
  closeGrpcClients(cart);
} finally {
  await pricing.stop();
  await env.stop();
  await kafka.stop();
}
process.exit(0);
