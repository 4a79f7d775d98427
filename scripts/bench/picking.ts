/**
 * Pick-task throughput: N confirmed orders in one dark store's RabbitMQ queue (a fifth of them express), then
 * P pickers each claim the next task and complete it, over HTTP to a real delivery service (signed as the edge
 * would), until the queue is empty. Filling the queue (OrderPlaced + OrderConfirmed over Kafka) is not timed.
 * Prints claims+completions/s, p50/p99 of a claim and of a completion, and checks that every task was packed
 * exactly once. Runs in a test environment of its own (database, topic and queue prefix), removed afterwards.
 * `npm run bench -- picking [N=400] [P=8]`
 */
import type { PickTaskView } from "@qc/contracts";
import type { Database } from "../../core/delivery/db/schema";
import { deliveryService } from "../../core/delivery/main";
import { publish } from "../../core/shared/testing/messages";
import { testEnvironment } from "../../core/shared/testing/service";
import { brokerPort, startKafka } from "../infra/kafka";

const total = Number(process.argv[3] ?? 400);
const pickers = Number(process.argv[4] ?? 8);
const money = (amountMinor: number) => ({ amountMinor, currency: "EUR" });
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? 0;

// The notifier simulator's declines are retried as they should be; their warnings would bury the figures.
const env = await testEnvironment({ database: "qc_bench_picking", env: { LOG_LEVEL: "error" } });
// Delivery consumes the order events the bench publishes: a Kafka broker unless one answers.
const kafka = await startKafka({ port: brokerPort(env.config.KAFKA_BROKERS) });
try {
  const delivery = await env.start(deliveryService);
  const db = env.db<Database>("delivery");
  const storeId = crypto.randomUUID();
  const lines = [
    { sku: "MILK-1L", quantity: 2, unitPriceMinor: 129 },
    { sku: "BREAD-500G", quantity: 1, unitPriceMinor: 249 },
  ];
  for (let i = 0; i < total; i++) {
    const ref = { orderId: crypto.randomUUID(), userId: crypto.randomUUID(), storeId };
    await publish(delivery, "OrderPlaced", {
      ...ref,
      lines,
      subtotal: money(507),
      deliveryFee: money(199),
      discount: money(0),
      total: money(706),
      address: { line1: "Torstr. 1", lat: 52.529, lng: 13.401 },
      couponCode: null,
      express: i % 5 === 0,
    });
    await publish(delivery, "OrderConfirmed", {
      ...ref,
      paymentId: crypto.randomUUID(),
      deliveryId: crypto.randomUUID(),
      total: money(706),
      etaMinutes: 12,
    });
  }
  const queued = async () =>
    Number(
      (
        await db
          .selectFrom("pick_tasks")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("published_at", "is not", null)
          .executeTakeFirstOrThrow()
      ).n,
    );
  for (let i = 0; i < 1_200 && (await queued()) < total; i++) await Bun.sleep(100);
  console.log(`${await queued()} of ${total} tasks queued in store ${storeId}; ${pickers} pickers start`);

  const claims: number[] = [];
  const completions: number[] = [];
  const packed: string[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: pickers }, async () => {
      const staff = { userId: crypto.randomUUID(), roles: ["store_staff" as const], storeIds: [storeId] };
      for (;;) {
        let at = performance.now();
        const next = await delivery.call("GET", `/v1/stores/${storeId}/pick-tasks/next`, { user: staff });
        claims.push(performance.now() - at);
        if (next.status === 204) return;
        if (next.status !== 200) throw new Error(`claim answered ${next.status}: ${await next.text()}`);
        const task = (await next.json()) as PickTaskView;
        at = performance.now();
        const done = await delivery.call("POST", `/v1/pick-tasks/${task.taskId}/complete`, {
          user: staff,
          body: { lines: task.lines.map((line) => ({ sku: line.sku, picked: line.quantity })) },
        });
        completions.push(performance.now() - at);
        if (done.status !== 200) throw new Error(`complete answered ${done.status}: ${await done.text()}`);
        packed.push(task.taskId);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const rows = await db
    .selectFrom("pick_tasks")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("status", "=", "PACKED")
    .executeTakeFirstOrThrow();
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  console.log(
    `${packed.length} tasks packed by ${pickers} pickers in ${seconds.toFixed(2)} s: ` +
      `${((claims.length + completions.length) / seconds).toFixed(0)} claims+completions/s ` +
      `(${(packed.length / seconds).toFixed(0)} tasks/s)`,
  );
  console.log(
    `claim p50 ${ms(percentile(claims, 50))} p99 ${ms(percentile(claims, 99))}; ` +
      `complete p50 ${ms(percentile(completions, 50))} p99 ${ms(percentile(completions, 99))}`,
  );
  const once = new Set(packed).size === packed.length && packed.length === total && Number(rows.n) === total;
  console.log(once ? "every task packed exactly once" : `MISMATCH: ${packed.length} packed, ${rows.n} rows`);
  if (!once) process.exitCode = 1;
} finally {
  await env.stop();
  await kafka.stop();
}
