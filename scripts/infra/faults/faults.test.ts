import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Admin } from "@platformatic/kafka";
import { RedisClient, SQL } from "bun";
import { startPrivateKafka } from "./kafka";
import { type PrivatePostgres, startPrivatePostgres } from "./postgres";
import { type PrivateRedis, startPrivateRedis } from "./redis";

describe("the fault harness's private Postgres", () => {
  let postgres: PrivatePostgres;
  beforeAll(async () => {
    postgres = await startPrivatePostgres();
  }, 60_000);
  afterAll(() => postgres?.destroy());

  it("is not the machine's Postgres", () => {
    expect(postgres.port).not.toBe(5432);
  });

  it("refuses queries while stopped and keeps committed data across a crash and restart", async () => {
    const sql = new SQL({ url: postgres.url(), max: 1, connectionTimeout: 2 });
    await sql`create table kept (id int primary key)`;
    await sql`insert into kept values (1)`;
    await sql.close();

    await postgres.stop({ crash: true });
    expect(postgres.running).toBe(false);
    const down = new SQL({ url: postgres.url(), max: 1, connectionTimeout: 1 });
    await expect(down`select 1`).rejects.toThrow();
    await down.close();

    await postgres.start();
    const again = new SQL({ url: postgres.url(), max: 1 });
    expect(await again`select id from kept`).toEqual([{ id: 1 }]);
    await again.close();
  }, 60_000);
});

describe("the fault harness's private Redis", () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(() => redis?.destroy());

  it("refuses commands while stopped and answers again after a restart, data kept", async () => {
    expect(redis.port).not.toBe(6379);
    const client = new RedisClient(redis.url);
    await client.set("kept", "yes");
    client.close();
    await redis.stop();
    const down = new RedisClient(redis.url, { connectionTimeout: 500, autoReconnect: false });
    await expect(down.get("kept")).rejects.toThrow();
    down.close();
    await redis.start();
    const again = new RedisClient(redis.url);
    expect(await again.get("kept")).toBe("yes");
    again.close();
  });
});

describe.if(process.env.FAULTS_KAFKA !== "0")("the fault harness's private Kafka", () => {
  it("stops and starts again with its topics intact", async () => {
    const kafka = await startPrivateKafka();
    try {
      expect(kafka.brokers[0]).not.toBe("127.0.0.1:9092");
      const admin = () =>
        new Admin({ clientId: "faults-test", bootstrapBrokers: kafka.brokers, timeout: 2_000, retries: 0 });
      const first = admin();
      await first.createTopics({ topics: ["faults.probe"], partitions: 1, replicas: 1 });
      await first.close();

      await kafka.stop();
      const down = admin();
      await expect(down.listTopics()).rejects.toThrow();
      await down.close().catch(() => {});

      await kafka.start();
      const again = admin();
      expect(await again.listTopics()).toContain("faults.probe");
      await again.close();
    } finally {
      await kafka.destroy();
    }
  }, 240_000);
});
