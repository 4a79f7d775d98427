import { topicDeclarations } from "@qc/contracts";
import { Elysia } from "elysia";
import type { Kysely } from "kysely";
import type { MigrationResultSet } from "kysely/migration";
import { createKafkaBus } from "../bus/kafka";
import { type Config, loadConfig } from "../config";
import { startInboxPrune } from "../consumer/inbox-prune";
import { startLagSampler } from "../consumer/lag-sampler";
import { createDb, ensureDatabase } from "../db";
import { migrateSchema } from "../db/migrate";
import { closeGrpcClients } from "../grpc/client";
import { healthService } from "../grpc/health";
import { type GrpcServer, type GrpcService, startGrpcServer } from "../grpc/server";
import { identityFrom, useReplayCache } from "../http/edge-identity";
import { health, readiness } from "../http/health";
import { openApi } from "../http/openapi";
import { problemDetails } from "../http/problem";
import { serviceAuth, signInternalCalls } from "../http/service-auth";
import { startRelay } from "../outbox/relay";
import { createRedis } from "../redis";
import { observeRequests, requestTelemetry } from "../telemetry/http";
import { createLogger } from "../telemetry/logger";
import { flushTracing, initTracing, shutdownTracing } from "../telemetry/tracing";
import { grpcPortOf, portOf, type ServiceContext, type ServiceName, type Stoppable } from "./context";

/** What a core service is: its name, its migrations, its routes and what it runs in the background. */
export interface ServiceDefinition<Database = any> {
  name: ServiceName;
  /** Absolute path of the service's db/migrations folder. */
  migrations: string;
  /** The service's routes (its app.ts); health, errors and edge identity are added around them. */
  app: (ctx: ServiceContext<Database>) => Elysia<any, any, any, any, any, any, any>;
  /** What the service serves over gRPC to other core services (and riders); the health service is added. */
  grpc?: (ctx: ServiceContext<Database>) => GrpcService[];
  /** Consumers, timers and anything else to start after the HTTP server, stopped in reverse on shutdown. */
  background?: (ctx: ServiceContext<Database>) => Promise<Stoppable[]>;
  /** URLs of further databases that hold this service's schema (inventory's shards), created and migrated like it. */
  databases?: (config: MigrationConfig) => string[];
}

/** What migrating needs: the service's database and where its further databases are. */
export type MigrationConfig = Pick<Config, "DATABASE_URL" | "INVENTORY_SHARDS">;

/** Brings the service's schema up to date in its database and in each further database it declares. */
export async function migrateService(
  definition: Pick<ServiceDefinition, "name" | "migrations" | "databases">,
  config: MigrationConfig,
): Promise<MigrationResultSet> {
  const extra = definition.databases?.(config) ?? [];
  for (const url of extra) await ensureDatabase(url);
  let result: MigrationResultSet = {};
  for (const url of [config.DATABASE_URL, ...extra]) {
    const db = createDb({ url, schema: definition.name, poolMax: 1 });
    try {
      const migrated = await migrateSchema(db, definition.name, definition.migrations);
      if (url === config.DATABASE_URL) result = migrated;
    } finally {
      await db.destroy();
    }
  }
  return result;
}

export interface RunningService {
  name: ServiceName;
  url: string;
  /** The gRPC server's port, when the service serves gRPC. */
  grpcPort?: number;
  ctx: ServiceContext;
  stop(): Promise<void>;
}

/**
 * Wires one service: tracing, db, Redis, bus, topics, outbox relay, HTTP server (with per-request spans,
 * metrics and `GET /metrics`), gRPC server (when it serves any), background work.
 */
export async function startService<Database>(
  definition: ServiceDefinition<Database>,
  config: Config,
  overrides: { port?: number } = {},
): Promise<RunningService> {
  initTracing(definition.name, { zipkinUrl: config.ZIPKIN_URL, sampleRatio: config.OTEL_SAMPLE_RATIO });
  const logger = createLogger(definition.name, config.LOG_LEVEL);
  const db = createDb<Database>({
    url: config.DATABASE_URL,
    schema: definition.name,
    poolMax: config.DB_POOL_MAX,
  });
  const redis = createRedis(config.REDIS_URL);
  await redis.connect();
  const bus = createKafkaBus({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-${definition.name}`,
    instanceId: config.KAFKA_INSTANCE_ID,
  });
  const ctx: ServiceContext<Database> = { name: definition.name, config, db, redis, bus, logger };

  await bus.ensureTopics(topicDeclarations(config.TOPIC_PREFIX));
  const relay = startRelay({
    db: db as Kysely<any>,
    databaseUrl: config.DATABASE_URL,
    bus,
    logger,
    topicPrefix: config.TOPIC_PREFIX,
  });

  let backgroundStarted = false;
  useReplayCache(config, redis);
  signInternalCalls(definition.name, config);
  const app = new Elysia({ name: definition.name })
    .use(problemDetails(logger))
    .use(requestTelemetry(definition.name))
    .use(health(ctx, () => backgroundStarted))
    .use(openApi(definition.name))
    .use(identityFrom(config))
    .use(serviceAuth(config, definition.name))
    .use(definition.app(ctx));
  // Served by Bun directly so the whole request, Elysia's hooks included, runs inside its server span.
  const server = Bun.serve({
    hostname: config.HOST,
    port: overrides.port ?? portOf(config, definition.name),
    fetch: observeRequests(definition.name, (request) => app.handle(request)),
  });
  const served = definition.grpc?.(ctx);
  const grpcServer: GrpcServer | undefined = served
    ? await startGrpcServer(ctx, grpcPortOf(config, definition.name), [
        ...served,
        healthService(
          served.map(({ service }) => service.typeName),
          async () => (await readiness(ctx, () => backgroundStarted)).ready,
        ),
      ])
    : undefined;
  const background = (await definition.background?.(ctx)) ?? [];
  backgroundStarted = true;
  // kafka_consumer_lag for every group the service subscribed (its consumers, started just above), and
  // inbox rows dropped once no copy of their message can come back.
  const lagSampler = startLagSampler(bus, logger);
  const inboxPrune = startInboxPrune(db as Kysely<any>, logger);
  const url = `http://${config.HOST}:${server.port}`;
  logger.info({ url, grpcPort: grpcServer?.port }, "service started");

  return {
    name: definition.name,
    url,
    grpcPort: grpcServer?.port,
    ctx: ctx as ServiceContext,
    async stop() {
      await Promise.all([server.stop(), grpcServer?.stop()]);
      await Promise.all([lagSampler.stop(), inboxPrune.stop()]);
      for (const part of [...background].reverse()) await part.stop();
      await relay.stop();
      closeGrpcClients(ctx);
      await bus.disconnect();
      redis.close();
      await db.destroy();
      await flushTracing();
      logger.info("service stopped");
    },
  };
}

/** Runs services until SIGTERM or SIGINT, then stops them cleanly and exits. */
export async function runUntilSignal(start: () => Promise<RunningService[]>): Promise<void> {
  const running = await start();
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.allSettled(running.map((service) => service.stop()));
    await shutdownTracing();
    process.exit(0);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}

/**
 * The entry of a service's own process (`bun core/<service>/main.ts`). Production unless NODE_ENV says
 * otherwise: a deployment that forgets to set it still gets the production checks (no development secrets,
 * no test-only routes); `npm run dev` and the test harnesses set it.
 */
export async function runServiceMain(definition: ServiceDefinition): Promise<void> {
  const config = loadConfig({ NODE_ENV: "production", ...process.env });
  await runUntilSignal(async () => [await startService(definition, config)]);
}
