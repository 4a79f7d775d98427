import type { ServiceName } from "@qc/contracts";
import type { RedisClient } from "bun";
import type { Kysely } from "kysely";
import type { Bus } from "../bus";
import type { Config } from "../config";
import type { Logger } from "../telemetry/logger";

export { type ServiceName, serviceNames as SERVICE_NAMES } from "@qc/contracts";

/** What a running service is handed: its config, its own schema's database, Redis, the bus and a logger. */
export interface ServiceContext<Database = unknown> {
  name: ServiceName;
  config: Config;
  db: Kysely<Database>;
  redis: RedisClient;
  bus: Bus;
  logger: Logger;
}

/** Anything a service starts beside its HTTP server (relay, consumers, timers) and must stop on SIGTERM. */
export interface Stoppable {
  stop(): Promise<void>;
}

export const portOf = (config: Config, name: ServiceName): number =>
  config[`${name.toUpperCase()}_PORT` as `${Uppercase<ServiceName>}_PORT`];

/** Where a service answers inside core (service-to-service calls use `/internal/v1/...` routes). */
export const serviceUrl = (config: Config, name: ServiceName): string =>
  config[`${name.toUpperCase()}_URL` as `${Uppercase<ServiceName>}_URL`] ??
  `http://${config.HOST}:${portOf(config, name)}`;

/** How far a service's gRPC port sits above its HTTP port when `<SERVICE>_GRPC_PORT` is unset. */
export const GRPC_PORT_OFFSET = 1000;

export const grpcPortOf = (config: Config, name: ServiceName): number =>
  config[`${name.toUpperCase()}_GRPC_PORT` as `${Uppercase<ServiceName>}_GRPC_PORT`] ??
  portOf(config, name) + GRPC_PORT_OFFSET;

/** Where a service's gRPC server answers: the host of its URL (a Kubernetes Service's name), its gRPC port. */
export const grpcTarget = (config: Config, name: ServiceName): string =>
  `${new URL(serviceUrl(config, name)).hostname}:${grpcPortOf(config, name)}`;
