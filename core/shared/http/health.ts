import { Elysia } from "elysia";
import { sql } from "kysely";
import type { ServiceContext } from "../runtime/context";

const within = <T>(ms: number, work: Promise<T>): Promise<T> =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), ms))]);

const check = async (probe: () => Promise<unknown>) => {
  try {
    await within(1_500, probe());
    return "up" as const;
  } catch {
    return "down" as const;
  }
};

/** Probes every dependency of the service; ready only while Postgres, Redis and Kafka all answer. */
export async function readiness(ctx: Pick<ServiceContext<any>, "db" | "redis" | "bus">) {
  const [postgres, redis, kafka] = await Promise.all([
    check(() => sql`select 1`.execute(ctx.db)),
    check(() => ctx.redis.send("PING", [])),
    check(async () => {
      if (!(await ctx.bus.isHealthy())) throw new Error("kafka down");
    }),
  ]);
  const checks = { postgres, redis, kafka };
  return { ready: Object.values(checks).every((state) => state === "up"), checks };
}

/** `GET /health/live` (the process answers) and `GET /health/ready` (its dependencies answer). */
export const health = (ctx: Pick<ServiceContext<any>, "name" | "db" | "redis" | "bus">) =>
  new Elysia({ name: `health-${ctx.name}` })
    .get("/health/live", () => ({ service: ctx.name, status: "live" }))
    .get("/health/ready", async ({ set }) => {
      const { ready, checks } = await readiness(ctx);
      set.status = ready ? 200 : 503;
      return { service: ctx.name, status: ready ? "ready" : "unready", checks };
    });
