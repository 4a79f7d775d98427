import { topicDeclarations } from "@qc/contracts";
import type { Kysely } from "kysely";
import { deleteTopics } from "../bus/kafka";
import { type Config, loadConfig, localPostgresUrl } from "../config";
import { createDb, dropDatabase, ensureDatabase } from "../db";
import { INTERNAL_PREFIX, serviceAuthHeaders } from "../http/service-auth";
import { deleteDeclaredQueues } from "../queue/rabbitmq";
import { SERVICE_NAMES, type ServiceName } from "../runtime/context";
import {
  migrateService,
  type RunningService,
  type ServiceDefinition,
  startService,
} from "../runtime/service";
import { quietPorts } from "./ports";
import { type SignedRequestOptions, signedRequest } from "./signed-request";

export interface TestEnvironment {
  config: Config;
  /** Starts a service on a free port against this environment's database and topic prefix. */
  start<Database>(definition: ServiceDefinition<Database>): Promise<TestService>;
  /** A Kysely handle on one service's schema, for asserting what a test caused. */
  db<Database = any>(schema: ServiceName): Kysely<Database>;
  stop(): Promise<void>;
}

export interface TestService extends RunningService {
  /**
   * Sends a request to the service signed as the edge would, optionally as a user; an `/internal/v1` path is
   * also signed as a calling service (`caller`, default `tests`).
   */
  call(
    method: string,
    path: string,
    options?: Omit<SignedRequestOptions, "baseUrl"> & { caller?: string },
  ): Promise<Response>;
}

/**
 * An isolated environment on the machine's real Postgres, Redis, Kafka and RabbitMQ: its own database and a
 * topic and queue prefix of its own, so test files (and engineers) sharing one broker never see each other's
 * messages; the exchanges, queues and topics it declared are deleted at stop.
 */
export async function testEnvironment(
  options: {
    /** Prefix of the database's name (a random suffix is added). */
    database?: string;
    env?: Record<string, string>;
  } = {},
): Promise<TestEnvironment> {
  const suffix = crypto.randomUUID().slice(0, 8);
  // A database of its own, dropped at stop: a test never meets rows or migrations another run left behind.
  const database = `${options.database ?? "qc_test"}_${suffix}`;
  // Every service gets free ports up front (HTTP and gRPC, all different), so services of one environment can
  // find each other. A gRPC port left to its default (HTTP + 1000) could be another service's HTTP port.
  const free = quietPorts(2 * SERVICE_NAMES.length);
  const ports = Object.fromEntries(
    SERVICE_NAMES.flatMap((name, i) => [
      [`${name.toUpperCase()}_PORT`, String(free[2 * i])],
      [`${name.toUpperCase()}_GRPC_PORT`, String(free[2 * i + 1])],
    ]),
  );
  const config = loadConfig({
    ...process.env,
    NODE_ENV: "test",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    DATABASE_URL: localPostgresUrl(database),
    TOPIC_PREFIX: `t${suffix}`,
    QUEUE_PREFIX: `t${suffix}`,
    QUEUE_EXPIRES_MS: "600000",
    KAFKA_CLIENT_ID: `test-${suffix}`,
    ...ports,
    ...options.env,
  });
  await ensureDatabase(config.DATABASE_URL);
  const started: RunningService[] = [];
  const handles: Kysely<any>[] = [];

  return {
    config,
    async start(definition) {
      await migrateService(definition, config);
      const running = await startService(definition, config);
      started.push(running);
      return {
        ...running,
        call: async (method, path, { caller, ...callOptions } = {}) => {
          const headers = { ...callOptions.headers };
          if (path.startsWith(INTERNAL_PREFIX)) {
            const body = callOptions.body === undefined ? "" : JSON.stringify(callOptions.body);
            Object.assign(
              headers,
              await serviceAuthHeaders(config, caller ?? "tests", definition.name, { method, path, body }),
            );
          }
          return fetch(
            await signedRequest(method, path, {
              ...callOptions,
              headers,
              baseUrl: running.url,
              secret: config.EDGE_SIGNING_SECRET,
            }),
          );
        },
      };
    },
    db(schema) {
      const handle = createDb<any>({ url: config.DATABASE_URL, schema, poolMax: 2 });
      handles.push(handle);
      return handle;
    },
    async stop() {
      await Promise.allSettled(started.reverse().map((service) => service.stop()));
      await Promise.allSettled(handles.map((handle) => handle.destroy()));
      await dropDatabase(config.DATABASE_URL, { derived: true });
      await deleteDeclaredQueues(config.RABBITMQ_URL, config.QUEUE_PREFIX);
      // Left behind, each environment's 60-odd partitions would weigh on the shared broker for every later test
      // and benchmark run. An environment that started no service has none (the broker refuses: no matter).
      await deleteTopics(
        config.KAFKA_BROKERS,
        topicDeclarations(config.TOPIC_PREFIX).map((topic) => topic.name),
      ).catch(() => {});
    },
  };
}
