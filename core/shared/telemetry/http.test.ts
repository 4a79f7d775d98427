import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Elysia } from "elysia";
import { notFound } from "../http/errors";
import type { ServiceDefinition } from "../runtime/service";
import { type TestEnvironment, type TestService, testEnvironment } from "../testing/service";
import { useInMemoryTracing } from "./tracing";

const exporter = useInMemoryTracing();
const logged: Record<string, unknown>[] = [];

const probe: ServiceDefinition = {
  name: "catalog",
  migrations: `${import.meta.dir}/../../catalog/db/migrations`,
  app: (ctx) =>
    new Elysia()
      .get("/internal/v1/things/:id", ({ params }) => {
        ctx.logger.info({ thing: params.id }, "looked up a thing");
        return { id: params.id };
      })
      .get("/internal/v1/missing", () => {
        throw notFound("thing");
      }),
};

describe("every service's HTTP telemetry", () => {
  let env: TestEnvironment;
  let service: TestService;
  beforeAll(async () => {
    env = await testEnvironment({ env: { LOG_LEVEL: "info" } });
    service = await env.start(probe);
    // Listen to what the service's logger writes.
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      const text = chunk.toString();
      if (text.includes("looked up a thing")) logged.push(JSON.parse(text));
      return write(chunk, ...rest);
    }) as typeof process.stdout.write;
  });
  afterAll(() => env.stop());

  it("answers each request inside a server span that continues the caller's traceparent", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const response = await service.call("GET", "/internal/v1/things/42", {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, "x-request-id": "req-42" },
    });
    expect(response.status).toBe(200);
    const span = exporter.getFinishedSpans().find((s) => s.spanContext().traceId === traceId);
    expect(span?.name).toBe("GET /internal/v1/things/:id");
    expect(span?.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(span?.attributes["http.response.status_code"]).toBe(200);
    expect(span?.resource.attributes["service.name"]).toBe("catalog");
  });

  it("tags the service's log lines inside a request with its correlation id and trace id", async () => {
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    await service.call("GET", "/internal/v1/things/43", {
      headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01`, "x-request-id": "req-43" },
    });
    expect(logged.at(-1)).toMatchObject({
      service: "catalog",
      correlationId: "req-43",
      traceId,
      thing: "43",
    });
  });

  it("counts requests and their latency per route template and status at GET /metrics", async () => {
    await service.call("GET", "/internal/v1/things/7");
    expect((await service.call("GET", "/internal/v1/missing")).status).toBe(404);
    const scrape = await fetch(`${service.url}/metrics`);
    expect(scrape.headers.get("content-type")).toContain("text/plain");
    const text = await scrape.text();
    expect(text).toContain(
      'http_requests_total{service="catalog",method="GET",route="/internal/v1/things/:id",status="200"} 3',
    );
    expect(text).toContain(
      'http_requests_total{service="catalog",method="GET",route="/internal/v1/missing",status="404"} 1',
    );
    expect(text).toMatch(
      /http_request_duration_seconds_count\{service="catalog",method="GET",route="\/internal\/v1\/things\/:id",status_class="2xx"\} 3/,
    );
    expect(text).toContain("process_cpu_seconds_total");
    expect(text).not.toContain('route="/metrics"');
  });
});
