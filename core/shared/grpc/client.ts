import { type DescService, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { fromProto, toProto } from "@qc/contracts/grpc/mirror";
import type { z } from "zod";
import { type NamedPolicy, type PolicyOptions, policyFor } from "../resilience";
import { grpcTarget, type ServiceContext, type ServiceName } from "../runtime/context";
import { metrics, stopwatch } from "../telemetry/metrics";
import { signCall } from "./auth";
import { definitionOf, pathOf } from "./codec";
import { fromServiceError, isTransient } from "./errors";
import { injectTraceMetadata } from "./trace-metadata";

/**
 * The policy's own timeout sits this far behind the call's gRPC deadline: the deadline (which the callee sees
 * too) ends a slow attempt with DEADLINE_EXCEEDED, which the policy then counts and retries like any timeout.
 */
export const DEADLINE_BACKSTOP_MS = 250;

export interface GrpcClient<S extends DescService> {
  /**
   * Calls a unary method under the policy: the request (a value of the zod contract the proto mirrors) is
   * signed as `caller`, carries the trace and the deadline; the reply is read back as `output`'s contract.
   * A refusal of the callee throws a DownstreamRefusal, anything else the transport's error.
   */
  call<Out extends z.ZodType>(
    method: keyof S["method"] & string,
    request: unknown,
    output: Out,
  ): Promise<z.output<Out>>;
}

/** The service making the calls: its name signs them and its channels close when it stops. */
export type GrpcCaller = Pick<ServiceContext, "name" | "config">;

const channelsOf = new WeakMap<GrpcCaller, Set<grpc.Client>>();

/** Closes every channel `caller` opened (its service is stopping); calls still in flight fail UNAVAILABLE. */
export function closeGrpcClients(caller: GrpcCaller): void {
  for (const channel of channelsOf.get(caller) ?? []) channel.close();
  channelsOf.delete(caller);
}

/** A policy for calls with this deadline: its timeout a backstop behind it, refusals neither retried nor counted. */
export const deadlinePolicy = (
  name: string,
  deadlineMs: number,
  options: Omit<PolicyOptions, "timeoutMs" | "isTransient"> = {},
): NamedPolicy => policyFor(name, { ...options, timeoutMs: deadlineMs + DEADLINE_BACKSTOP_MS, isTransient });

/**
 * The one gRPC client of core: one HTTP/2 channel from `caller` to `callee`'s service (closed when the caller
 * stops), each call under `policy` (default: a deadlinePolicy named after the callee, with `retries`) and
 * counted by status in grpc_client_handled_total.
 */
export function grpcClient<S extends DescService>(
  caller: GrpcCaller,
  route: { callee: ServiceName; service: S },
  options: { deadlineMs: number; retries?: number; policy?: NamedPolicy },
): GrpcClient<S> {
  const { config } = caller;
  const { callee, service } = route;
  const policy = options.policy ?? deadlinePolicy(callee, options.deadlineMs, { retries: options.retries });
  const definition = definitionOf(service);
  const Client = grpc.makeGenericClientConstructor(definition, service.name);
  const channel = new Client(grpcTarget(config, callee), grpc.credentials.createInsecure());
  const channels = channelsOf.get(caller) ?? new Set();
  channelsOf.set(caller, channels.add(channel));
  const raw = (bytes: Buffer) => bytes;

  return {
    call: (name, request, output) =>
      policy.execute(async (signal) => {
        const method = service.method[name];
        const codec = definition[name];
        if (!method || !codec) throw new Error(`${service.typeName} has no method ${name}`);
        const body = Buffer.from(toBinary(method.input, toProto(method.input, request)));
        const path = pathOf(method);
        const metadata = injectTraceMetadata(new grpc.Metadata());
        await signCall(metadata, config, { caller: caller.name, callee, path, body });
        const elapsed = stopwatch();
        const reply = await new Promise<unknown>((resolve, reject) => {
          const call = channel.makeUnaryRequest(
            path,
            raw,
            codec.responseDeserialize,
            body,
            metadata,
            { deadline: Date.now() + options.deadlineMs },
            (error, value) => {
              const code = grpc.status[error?.code ?? grpc.status.OK];
              metrics.grpcClientCall(caller.name, service.typeName, method.name, code, elapsed());
              if (error) reject(fromServiceError(error));
              else resolve(value);
            },
          );
          signal.addEventListener("abort", () => call.cancel(), { once: true });
        });
        return fromProto(output, reply);
      }),
  };
}
