import { afterAll, describe, expect, it } from "bun:test";
import { createKafkaBus, deleteTopics } from "../bus/kafka";
import { loadConfig } from "../config";
import { createDb } from "../db";
import { BROKERS } from "../outbox/testing/fixture";
import { createRedis } from "../redis";
import { health } from "./health";

const prefix = `ready-${crypto.randomUUID().slice(0, 8)}`;
const topic = `${prefix}.cart.events.v1`;
const group = `${prefix}-projection`;
const config = loadConfig({});

const bus = createKafkaBus({ brokers: BROKERS, clientId: prefix });
const elder = createKafkaBus({ brokers: BROKERS, clientId: `${prefix}-elder` });
const db = createDb({ url: config.DATABASE_URL, schema: "public", poolMax: 2 });
const redis = createRedis(config.REDIS_URL);

afterAll(async () => {
  await Promise.all([bus.disconnect(), elder.disconnect()]);
  redis.close();
  await db.destroy();
  await deleteTopics(BROKERS, [topic]);
});

const latch = () => Promise.withResolvers<void>();

const eventually = async <T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string) => {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await Bun.sleep(100);
  }
};

describe("readiness waits for the consumers", () => {
  it("answers 503 while a group joins and works off its start-up backlog, and 200 once it has", async () => {
    await redis.connect();
    await bus.ensureTopics([{ name: topic, partitions: 2 }]);
    await bus.publish(
      Array.from({ length: 6 }, (_, i) => ({ topic, key: `cart-${i}`, value: JSON.stringify({ i }) })),
    );

    // An older member of the group is inside its handler: a newcomer cannot join until it lets go.
    const elderBusy = latch();
    const elderHolding = latch();
    const elderSubscription = await elder.subscribe({
      groupId: group,
      topics: [topic],
      handle: async () => {
        elderHolding.resolve();
        await elderBusy.promise;
      },
    });
    await elderHolding.promise;

    let backgroundStarted = false;
    const app = health({ name: "cart", db, redis, bus }, () => backgroundStarted);
    const ready = async () => {
      const response = await app.handle(new Request("http://core/health/ready"));
      return {
        status: response.status,
        body: (await response.json()) as {
          checks: Record<string, string>;
          consumerGroups: { group: string; state: string; behind: number | null }[];
        },
      };
    };

    const drained = latch();
    let handled = 0;
    const joining = bus.subscribe({
      groupId: group,
      topics: [topic],
      handle: async () => {
        handled += 1;
        // The newcomer holds on to its backlog until the test has seen it catching up.
        await drained.promise;
      },
    });
    backgroundStarted = true;

    const whileJoining = await eventually(
      ready,
      (r) => r.body.consumerGroups.length === 1,
      "the group listed",
    );
    expect(whileJoining.status).toBe(503);
    expect(whileJoining.body.checks).toMatchObject({ postgres: "up", redis: "up", kafka: "up" });
    expect(whileJoining.body.checks.consumers).toBe("starting");
    expect(whileJoining.body.consumerGroups[0]).toMatchObject({ group, state: "joining" });

    // The elder finishes its record and leaves; the newcomer gets both partitions and the rest of the backlog.
    elderBusy.resolve();
    await elderSubscription.stop();
    const subscription = await joining;
    const catchingUp = await eventually(
      ready,
      (r) => r.body.consumerGroups[0]?.state === "catching-up",
      "the group catching up",
    );
    expect(catchingUp.status).toBe(503);
    expect(catchingUp.body.consumerGroups[0]?.behind).toBeGreaterThan(0);

    drained.resolve();
    const started = await eventually(ready, (r) => r.status === 200, "readiness");
    expect(started.body.checks.consumers).toBe("up");
    expect(started.body.consumerGroups).toEqual([{ group, state: "caught-up", behind: 0 }]);
    // The elder handled one record (committed or redelivered); the newcomer did the rest of the backlog.
    expect(handled).toBeGreaterThanOrEqual(5);

    // Later work does not take a started service out of its load balancer.
    await bus.publish([{ topic, key: "cart-late", value: "{}" }]);
    expect((await ready()).status).toBe(200);
    await subscription.stop();
  }, 120_000);

  it("does not wait for a group that starts at the newest record, nor for one that does not gate readiness", async () => {
    // The topic holds the first test's records: a fresh group reading from the newest has none to work off.
    const fresh = await bus.subscribe({
      groupId: `${group}-newest`,
      topics: [topic],
      fromBeginning: false,
      handle: async () => {},
    });
    const blocked = latch();
    const sideEffect = await bus.subscribe({
      groupId: `${group}-side`,
      topics: [topic],
      gatesReadiness: false,
      handle: () => blocked.promise,
    });
    const groups = await bus.consumerStartup();
    expect(groups.find((g) => g.group === `${group}-newest`)).toEqual({
      group: `${group}-newest`,
      state: "caught-up",
      behind: 0,
    });
    expect(groups.some((g) => g.group === `${group}-side`)).toBe(false);
    blocked.resolve();
    await Promise.all([fresh.stop(), sideEffect.stop()]);
  }, 60_000);

  it("answers 503 while the service's background work has not started", async () => {
    const app = health({ name: "cart", db, redis, bus }, () => false);
    const response = await app.handle(new Request("http://core/health/ready"));
    expect(response.status).toBe(503);
    expect(((await response.json()) as { checks: Record<string, string> }).checks.consumers).toBe("starting");
  });
});
