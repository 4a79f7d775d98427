import { type DescService, fromBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { ROOT_CONTEXT } from "@opentelemetry/api";
import { fromProto, toProto } from "@qc/contracts/grpc/mirror";
import type { z } from "zod";
import type { Config } from "../config";
import type { ServiceName } from "../runtime/context";
import type { Logger } from "../telemetry/logger";
import { metrics, stopwatch } from "../telemetry/metrics";
import { scopedContext } from "../telemetry/scope";
import { extractContext, SpanKind, withSpan } from "../telemetry/tracing";
import { verifyCall } from "./auth";
import { definitionOf, pathOf } from "./codec";
import { toServiceError } from "./errors";
import { metadataHeaders } from "./trace-metadata";

/** One unary method: the zod contracts its proto request and response mirror, and what answers it. */
export interface UnaryMethod<In extends z.ZodType = z.ZodType, Out extends z.ZodType = z.ZodType> {
  input: In;
  output: Out;
  handle(request: z.output<In>): Promise<z.input<Out>>;
}

export const unary = <In extends z.ZodType, Out extends z.ZodType>(method: UnaryMethod<In, Out>) => method;

/**
 * A generated service a core service serves: its unary methods by local name (`quoteCart`), each signed by
 * the calling service; `handlers` are methods that authenticate on their own (the health service, a rider's
 * stream) and get the generated messages as they are.
 */
export interface GrpcService {
  service: DescService;
  unary?: Record<string, UnaryMethod>;
  handlers?: grpc.UntypedServiceImplementation;
}

export interface GrpcServer {
  port: number;
  stop(): Promise<void>;
}

interface ServerContext {
  name: ServiceName;
  config: Config;
  logger: Logger;
}

/**
 * A unary handler: checks the caller's signature over the raw request, decodes and validates it against its
 * zod contract, runs it in a server span continuing the caller's trace (its baggage puts the order in scope),
 * and answers a failure with the status and problem the caller re-raises.
 */
function unaryHandler(ctx: ServerContext, service: DescService, localName: string, method: UnaryMethod) {
  const desc = service.method[localName];
  if (!desc) throw new Error(`${service.typeName} has no method ${localName}`);
  const path = pathOf(desc);
  const handle: grpc.handleUnaryCall<Buffer, unknown> = async (call, callback) => {
    const elapsed = stopwatch();
    const answered = (code: grpc.status) =>
      metrics.grpcServerCall(ctx.name, service.typeName, desc.name, grpc.status[code], elapsed());
    const parent = scopedContext(
      { service: ctx.name },
      extractContext(metadataHeaders(call.metadata), ROOT_CONTEXT),
    );
    try {
      const reply = await withSpan(
        `${service.name}/${desc.name}`,
        { "rpc.system": "grpc", "rpc.service": service.typeName, "rpc.method": desc.name },
        async () => {
          await verifyCall(ctx.config, ctx.name, { path, metadata: call.metadata, body: call.request });
          const request = fromProto(method.input, fromBinary(desc.input, call.request));
          return toProto(desc.output, method.output.parse(await method.handle(request)));
        },
        { kind: SpanKind.SERVER, parent },
      );
      answered(grpc.status.OK);
      callback(null, reply);
    } catch (error) {
      const answer = toServiceError(error);
      if (answer.code === grpc.status.INTERNAL) ctx.logger.error({ err: error, path }, "gRPC call failed");
      answered(answer.code ?? grpc.status.UNKNOWN);
      callback(answer);
    }
  };
  return handle;
}

// Open streams (a rider's) would hold a graceful shutdown forever: after this they are cut.
const SHUTDOWN_GRACE_MS = 2_000;

/** Serves the services on `port` (0: any free port) until stopped. */
export async function startGrpcServer(
  ctx: ServerContext,
  port: number,
  services: GrpcService[],
): Promise<GrpcServer> {
  const server = new grpc.Server();
  for (const { service, unary = {}, handlers = {} } of services) {
    const implementation: grpc.UntypedServiceImplementation = { ...handlers };
    for (const [localName, method] of Object.entries(unary))
      implementation[localName] = unaryHandler(ctx, service, localName, method);
    server.addService(definitionOf(service), implementation);
  }
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${ctx.config.HOST}:${port}`, grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  return {
    port: bound,
    stop: () =>
      new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(cut);
          resolve();
        });
      }),
  };
}
