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

type Probed = Pick<ServiceContext<any>, "db" | "redis" | "bus">;

/**
 * Started means the service's consumers are running (background started) and every group has its partitions
 * and has worked off the backlog its topics held when it joined: until then the service answers as if the
 * first minute were any other, only later.
 */
async function consumersStarted(ctx: Probed, backgroundStarted: () => boolean) {
  if (!backgroundStarted()) return { state: "starting" as const, groups: [] };
  const groups = await within(1_500, ctx.bus.consumerStartup());
  const started = groups.every((group) => group.state === "caught-up");
  return { state: started ? ("up" as const) : ("starting" as const), groups };
}

/**
 * Probes every dependency of the service; ready only while Postgres, Redis and Kafka all answer and its
 * consumers have started.
 */
export async function readiness(ctx: Probed, backgroundStarted: () => boolean = () => true) {
  const [consumers, postgres, redis, kafka] = await Promise.all([
    consumersStarted(ctx, backgroundStarted).catch(() => ({ state: "down" as const, groups: [] })),
    check(() => sql`select 1`.execute(ctx.db)),
    check(() => ctx.redis.send("PING", [])),
    check(async () => {
      if (!(await ctx.bus.isHealthy())) throw new Error("kafka down");
    }),
  ]);
  const checks = { postgres, redis, kafka, consumers: consumers.state };
  return {
    ready: Object.values(checks).every((state) => state === "up"),
    checks,
    consumerGroups: consumers.groups,
  };
}

/**
 * `GET /health/live` (the process answers) and `GET /health/ready` (its dependencies answer and its
 * consumers have started; `backgroundStarted` says when the service's background work is running).
 */
export const health = (
  ctx: Pick<ServiceContext<any>, "name" | "db" | "redis" | "bus">,
  backgroundStarted: () => boolean = () => true,
) =>
  new Elysia({ name: `health-${ctx.name}` })
    .get("/health/live", () => ({ service: ctx.name, status: "live" }))
    .get("/health/ready", async ({ set }) => {
      const { ready, checks, consumerGroups } = await readiness(ctx, backgroundStarted);
      set.status = ready ? 200 : 503;
      return { service: ctx.name, status: ready ? "ready" : "unready", checks, consumerGroups };
    });
