import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { context, SpanKind, trace } from "@opentelemetry/api";
import { type Quote, Quote as QuoteContract, QuoteRequest } from "@qc/contracts";
import {
  Health,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  Pricing,
  QuoteRequestSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@qc/contracts/grpc/services";
import { loadConfig } from "../config";
import { AppError } from "../http/errors";
import { BrokenCircuitError, policyFor } from "../resilience";
import { grpcTarget } from "../runtime/context";
import { createLogger } from "../telemetry/logger";
import { registry } from "../telemetry/metrics";
import { inScope } from "../telemetry/scope";
import { flushTracing, initTracing, useInMemoryTracing, withSpan } from "../telemetry/tracing";
import { quietPort } from "../testing/ports";
import { signCall } from "./auth";
import { closeGrpcClients, DEADLINE_BACKSTOP_MS, grpcClient } from "./client";
import { definitionOf, pathOf } from "./codec";
import { DownstreamRefusal, isTransient } from "./errors";
import { healthService } from "./health";
import { type GrpcServer, startGrpcServer, unary } from "./server";

const exporter = useInMemoryTracing();
const config = loadConfig({ NODE_ENV: "test", PRICING_GRPC_PORT: String(quietPort()) });
const userId = "0195f2a8-7c4b-7000-8000-000000000002";
const storeId = "0195f2a8-7c4b-7000-8000-000000000003";
const orderId = "0195f2a8-7c4b-7000-8000-0000000000aa";

/** What the stand-in pricing answers: a quote of the lines, a refusal, or nothing before the deadline. */
function quoteOf(request: QuoteRequest): Quote {
  return {
    quoteId: "0195f2a8-7c4b-7000-8000-000000000001",
    userId: request.userId,
    storeId: request.storeId,
    currency: "INR",
    lines: request.lines.map((line) => ({
      ...line,
      unitPriceMinor: 100,
      discountMinor: 0,
      lineTotalMinor: 100 * line.quantity,
    })),
    subtotalMinor: 100,
    discountMinor: 0,
    deliveryFeeMinor: 0,
    smallCartFeeMinor: 0,
    surgeFeeMinor: 0,
    totalMinor: 100,
    couponCode: request.couponCode ?? null,
    expiresAt: "2026-12-05T17:00:00.000Z",
    token: "signed",
  };
}

let calls = 0;
let ready = true;
const handle = async (request: QuoteRequest) => {
  calls += 1;
  const sku = request.lines[0]?.sku;
  if (sku === "SLOW-1") await Bun.sleep(300);
  if (sku === "GONE-1")
    throw new AppError(422, "unpriceable_lines", "Some lines cannot be priced", [
      { path: "lines.0.sku", message: "not priced here" },
    ]);
  return quoteOf(request);
};

const request = (sku: string) => ({ userId, storeId, lines: [{ sku, quantity: 1 }] });

describe("gRPC between core services", () => {
  let server: GrpcServer;
  beforeAll(async () => {
    initTracing("pricing");
    initTracing("order");
    const logger = createLogger("pricing", "silent");
    server = await startGrpcServer({ name: "pricing", config, logger }, Number(config.PRICING_GRPC_PORT), [
      {
        service: Pricing,
        unary: { quoteCart: unary({ input: QuoteRequest, output: QuoteContract, handle }) },
      },
      healthService([Pricing.typeName], async () => ready),
    ]);
  });
  afterAll(() => server.stop());

  const client = (options: { retries?: number; breakAfter?: number; deadlineMs?: number } = {}) => {
    const deadlineMs = options.deadlineMs ?? 1_000;
    const policy = policyFor("pricing", {
      timeoutMs: deadlineMs + DEADLINE_BACKSTOP_MS,
      retries: options.retries ?? 0,
      breakAfter: options.breakAfter ?? 5,
      isTransient,
    });
    return grpcClient(
      { name: "order", config },
      { callee: "pricing", service: Pricing },
      { policy, deadlineMs },
    );
  };

  it("answers a signed call with the contract's value", async () => {
    const quote = await client().call(
      "quoteCart",
      { ...request("TEA-100"), couponCode: "WELCOME" },
      QuoteContract,
    );
    expect(quote).toEqual(quoteOf({ ...request("TEA-100"), couponCode: "WELCOME" }));
  });

  it("runs the callee's span as a child of the caller's, tagged with the order from the baggage", async () => {
    const pricing = client();
    const callerSpan = await inScope({ service: "order", orderId }, () =>
      withSpan("place order", {}, async (span) => {
        await pricing.call("quoteCart", request("TEA-100"), QuoteContract);
        return span.spanContext();
      }),
    );
    await flushTracing();
    const served = exporter
      .getFinishedSpans()
      .find((span) => span.name === "Pricing/QuoteCart" && span.spanContext().traceId === callerSpan.traceId);
    expect(served?.kind).toBe(SpanKind.SERVER);
    expect(served?.parentSpanContext?.spanId).toBe(callerSpan.spanId);
    expect(served?.attributes.orderId).toBe(orderId);
    expect(served?.resource.attributes["service.name"]).toBe("pricing");
    expect(trace.getSpan(context.active())).toBeUndefined();
  });

  it("re-raises the callee's refusal with its code and field errors, without retrying it", async () => {
    calls = 0;
    const refused = await client({ retries: 2 })
      .call("quoteCart", request("GONE-1"), QuoteContract)
      .catch((error) => error);
    expect(refused).toBeInstanceOf(DownstreamRefusal);
    expect(refused).toMatchObject({ status: 422, code: "unpriceable_lines" });
    expect(refused.errors).toEqual([{ path: "lines.0.sku", message: "not priced here" }]);
    expect(calls).toBe(1);
  });

  it("refuses a request that breaks the contract, as a JSON body would be", async () => {
    const refused = await client()
      .call("quoteCart", { ...request("TEA-100"), userId: "someone" }, QuoteContract)
      .catch((error) => error);
    expect(refused).toMatchObject({ status: 422, code: "validation_failed" });
  });

  it("treats DEADLINE_EXCEEDED like an HTTP timeout: retried, then counted by the breaker", async () => {
    calls = 0;
    const pricing = client({ retries: 1, breakAfter: 2, deadlineMs: 100 });
    const first = await pricing.call("quoteCart", request("SLOW-1"), QuoteContract).catch((error) => error);
    expect(first.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(calls).toBe(2);
    await pricing.call("quoteCart", request("SLOW-1"), QuoteContract).catch(() => undefined);
    // Two failed calls in a row: the breaker is open and the next call does not reach pricing at all.
    calls = 0;
    const refused = await pricing
      .call("quoteCart", request("TEA-100"), QuoteContract)
      .catch((error) => error);
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    expect(calls).toBe(0);
  });

  it("counts each call by status, as the caller and as the callee saw it", async () => {
    const count = async (name: string, side: string, code: string) => {
      const metric = registry.getSingleMetric(name);
      const values = metric ? (await metric.get()).values : [];
      const labels = {
        service: side,
        grpc_service: Pricing.typeName,
        grpc_method: "QuoteCart",
        grpc_code: code,
      };
      return (
        values.find((value) => Object.entries(labels).every(([k, v]) => value.labels[k] === v))?.value ?? 0
      );
    };
    const counts = () =>
      Promise.all([
        count("grpc_client_handled_total", "order", "OK"),
        count("grpc_client_handled_total", "order", "FAILED_PRECONDITION"),
        count("grpc_server_handled_total", "pricing", "OK"),
        count("grpc_server_handled_total", "pricing", "FAILED_PRECONDITION"),
      ]);
    const before = await counts();
    const pricing = client();
    await pricing.call("quoteCart", request("TEA-100"), QuoteContract);
    await pricing.call("quoteCart", request("GONE-1"), QuoteContract).catch(() => undefined);
    const after = await counts();
    expect(after.map((value, i) => value - (before[i] ?? 0))).toEqual([1, 1, 1, 1]);
  });

  it("closes the channels of a service that stops: its calls fail instead of reconnecting forever", async () => {
    const caller = { name: "order" as const, config };
    const pricing = grpcClient(caller, { callee: "pricing", service: Pricing }, { deadlineMs: 1_000 });
    expect(await pricing.call("quoteCart", request("TEA-100"), QuoteContract)).toMatchObject({ storeId });
    closeGrpcClients(caller);
    const after = await pricing.call("quoteCart", request("TEA-100"), QuoteContract).catch((error) => error);
    expect(after).toBeInstanceOf(Error);
    expect(String(after.message)).toContain("shut down");
  });

  describe("the gRPC port is no way around service authentication", () => {
    const Raw = grpc.makeGenericClientConstructor(definitionOf(Pricing), "Pricing");
    const path = pathOf(Pricing.method.quoteCart);
    const body = Buffer.from(toBinary(QuoteRequestSchema, create(QuoteRequestSchema, request("TEA-100"))));
    const send = (bytes: Buffer, metadata: grpc.Metadata) =>
      new Promise<grpc.ServiceError | null>((resolve) => {
        const raw = new Raw(grpcTarget(config, "pricing"), grpc.credentials.createInsecure());
        raw.makeUnaryRequest(
          path,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          metadata,
          (error) => {
            raw.close();
            resolve(error);
          },
        );
      });
    const signed = async (key: typeof config) => {
      const metadata = new grpc.Metadata();
      await signCall(metadata, key, { caller: "order", callee: "pricing", path, body });
      return metadata;
    };

    it("answers the same bytes when they are signed", async () => {
      expect(await send(body, await signed(config))).toBeNull();
    });

    it("refuses an unsigned call", async () => {
      calls = 0;
      expect((await send(body, new grpc.Metadata()))?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(calls).toBe(0);
    });

    it("refuses a call signed with another key", async () => {
      const forger = loadConfig({ NODE_ENV: "test", SERVICE_AUTH_SECRET: "a-secret-nobody-in-core-has" });
      expect((await send(body, await signed(forger)))?.code).toBe(grpc.status.UNAUTHENTICATED);
    });

    it("refuses a signature moved onto another request", async () => {
      const other = Buffer.from(toBinary(QuoteRequestSchema, create(QuoteRequestSchema, request("GIN-700"))));
      expect((await send(other, await signed(config)))?.code).toBe(grpc.status.UNAUTHENTICATED);
    });
  });

  describe("grpc.health.v1.Health", () => {
    const health = () =>
      new (grpc.makeGenericClientConstructor(definitionOf(Health), "Health"))(
        grpcTarget(config, "pricing"),
        grpc.credentials.createInsecure(),
      );
    const decode = (bytes: Buffer) => fromBinary(HealthCheckResponseSchema, bytes);
    const ask = (service: string) =>
      Buffer.from(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service })));
    const check = (service: string) =>
      new Promise<{ error: grpc.ServiceError | null; status?: ServingStatus }>((resolve) => {
        const client = health();
        client.makeUnaryRequest(
          pathOf(Health.method.check),
          (b: Buffer) => b,
          decode,
          ask(service),
          (error, value) => {
            client.close();
            resolve({ error, status: (value as HealthCheckResponse | undefined)?.status });
          },
        );
      });

    it("answers Check for the server and each served service, NOT_FOUND for others, without a signature", async () => {
      expect((await check("")).status).toBe(ServingStatus.SERVING);
      expect((await check("qc.pricing.v1.Pricing")).status).toBe(ServingStatus.SERVING);
      expect((await check("qc.nope.v1.Nope")).error?.code).toBe(grpc.status.NOT_FOUND);
      ready = false;
      expect((await check("")).status).toBe(ServingStatus.NOT_SERVING);
      ready = true;
    });

    it("streams the status on Watch, and its changes", async () => {
      const client = health();
      const seen: ServingStatus[] = [];
      const call = client.makeServerStreamRequest(
        pathOf(Health.method.watch),
        (b: Buffer) => b,
        decode,
        ask(""),
      );
      call.on("data", (answer: HealthCheckResponse) => seen.push(answer.status));
      call.on("error", () => undefined);
      const until = async (wanted: number) => {
        for (let waited = 0; seen.length < wanted && waited < 5_000; waited += 50) await Bun.sleep(50);
      };
      await until(1);
      ready = false;
      await until(2);
      ready = true;
      call.cancel();
      client.close();
      expect(seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    }, 10_000);
  });
});
