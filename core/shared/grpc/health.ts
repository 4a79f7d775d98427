import { create, fromBinary } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import {
  Health,
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@qc/contracts/grpc/services";
import type { GrpcService } from "./server";

// How often a Watch re-asks readiness: a probe's period, cheap next to the probes themselves.
const WATCH_INTERVAL_MS = 2_000;

/**
 * The standard `grpc.health.v1.Health` (Check, List, Watch), open like `/health/*`: "" and each served
 * service's full name are SERVING while the service is ready (`ready` is the same check as GET
 * /health/ready), NOT_SERVING otherwise; any other name is NOT_FOUND (Check) or SERVICE_UNKNOWN (Watch).
 */
export function healthService(served: string[], ready: () => Promise<boolean>): GrpcService {
  const known = new Set(["", ...served]);
  const statusOf = async (service: string) =>
    !known.has(service)
      ? ServingStatus.SERVICE_UNKNOWN
      : (await ready().catch(() => false))
        ? ServingStatus.SERVING
        : ServingStatus.NOT_SERVING;
  const answer = (status: ServingStatus): HealthCheckResponse =>
    create(HealthCheckResponseSchema, { status });
  const requested = (bytes: Buffer): HealthCheckRequest => fromBinary(HealthCheckRequestSchema, bytes);

  const check: grpc.handleUnaryCall<Buffer, HealthCheckResponse> = async (call, callback) => {
    const status = await statusOf(requested(call.request).service);
    if (status === ServingStatus.SERVICE_UNKNOWN) callback({ code: 5, details: "unknown service" });
    else callback(null, answer(status));
  };
  const list: grpc.handleUnaryCall<Buffer, unknown> = async (_call, callback) => {
    const status = await statusOf("");
    const statuses = Object.fromEntries([...known].map((name) => [name, answer(status)]));
    callback(null, create(HealthListResponseSchema, { statuses }));
  };
  // A stream's request arrives decoded (only unary requests travel as raw bytes, see codec).
  const watch: grpc.handleServerStreamingCall<HealthCheckRequest, HealthCheckResponse> = (call) => {
    const service = call.request.service;
    let last: ServingStatus | undefined;
    const push = async () => {
      const status = await statusOf(service);
      if (status !== last && !call.cancelled) call.write(answer(status));
      last = status;
    };
    const timer = setInterval(push, WATCH_INTERVAL_MS);
    call.on("cancelled", () => clearInterval(timer));
    call.on("close", () => clearInterval(timer));
    void push();
  };
  return { service: Health, handlers: { check, list, watch } };
}
