import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import type { PickTaskView } from "@qc/contracts";
import type { Kysely } from "kysely";
import { type TestEnvironment, type TestService, testEnvironment } from "../shared/testing/service";
import { withBrokerStopped } from "../tests/support/rabbitmq-broker";
import type { Database } from "./db/schema";
import { deliveryService } from "./main";
import { allLines, confirmedOrder } from "./testing/confirmed-order";

setDefaultTimeout(120_000);

const TASKS = 12;

describe("pick tasks across a RabbitMQ restart", () => {
  let env: TestEnvironment;
  let delivery: TestService;
  let db: Kysely<Database>;

  beforeAll(async () => {
    env = await testEnvironment({ database: "qc_test_broker_restart" });
    delivery = await env.start(deliveryService);
    db = env.db<Database>("delivery");
  });
  afterAll(() => env.stop());

  it("loses no confirmed task and hands them out again through the same running service", async () => {
    const storeId = crypto.randomUUID();
    const picker = { userId: crypto.randomUUID(), roles: ["store_staff" as const], storeIds: [storeId] };
    const next = () => delivery.call("GET", `/v1/stores/${storeId}/pick-tasks/next`, { user: picker });
    // Every item confirmed by the broker (publisher confirms) before the restart.
    const orders = new Set<string>();
    for (let i = 0; i < TASKS; i++) orders.add((await confirmedOrder(delivery, db, storeId)).orderId);

    const during = await withBrokerStopped(async () => {
      const answer = await next();
      return { status: answer.status, retryAfter: answer.headers.get("retry-after") };
    });
    // The broker really was away: the service said so instead of handing out or losing anything.
    expect(during).toEqual({ status: 503, retryAfter: "5" });

    // The same service, not restarted: its connection comes back by itself, and every task is still there.
    const backAt = performance.now();
    let firstClaimMs: number | null = null;
    const claimed = new Set<string>();
    const deadline = Date.now() + 60_000;
    while (claimed.size < TASKS && Date.now() < deadline) {
      const answer = await next();
      if (answer.status !== 200) {
        await Bun.sleep(250);
        continue;
      }
      firstClaimMs ??= performance.now() - backAt;
      const task = (await answer.json()) as PickTaskView;
      claimed.add(task.orderId);
      const done = await delivery.call("POST", `/v1/pick-tasks/${task.taskId}/complete`, {
        user: picker,
        body: { lines: allLines },
      });
      expect(done.status).toBe(200);
    }
    console.log(
      `first claim ${firstClaimMs?.toFixed(0)} ms after the broker served again; ${claimed.size}/${TASKS} tasks claimed`,
    );
    expect(claimed).toEqual(orders);
    expect((await next()).status).toBe(204);
  });
});
