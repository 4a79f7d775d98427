import { describe, expect, it } from "bun:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import type { OpenAPI } from "openapi-types";
import { coreApiDocument, publicApiDocument } from "./documents";

// The validator dereferences in place; give it a copy so assertions see the generated document.
function validate(document: Record<string, unknown>) {
  return SwaggerParser.validate(structuredClone(document) as unknown as OpenAPI.Document);
}

function operations(document: Record<string, unknown>): string[] {
  const paths = document.paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

describe("OpenAPI documents", () => {
  it("generates a public document that an independent OpenAPI 3.1 validator accepts", async () => {
    const document = publicApiDocument();
    expect(document.openapi).toBe("3.1.0");
    await expect(validate(document)).resolves.toBeDefined();
  });

  it("generates a core document that an independent OpenAPI 3.1 validator accepts", async () => {
    await expect(validate(coreApiDocument())).resolves.toBeDefined();
  });

  it("describes every public route of design.md §6 under /v1", () => {
    const documented = operations(publicApiDocument());
    for (const route of [
      "POST /v1/auth/register",
      "POST /v1/auth/login",
      "POST /v1/auth/refresh",
      "POST /v1/auth/logout",
      "GET /v1/stores/serviceable",
      "GET /v1/catalog/categories",
      "GET /v1/catalog/products",
      "GET /v1/catalog/products/{sku}",
      "GET /v1/cart",
      "PUT /v1/cart/items/{sku}",
      "DELETE /v1/cart",
      "POST /v1/orders",
      "GET /v1/orders",
      "GET /v1/orders/{id}",
      "POST /v1/orders/{id}/cancel",
      "GET /v1/orders/{id}/events",
      "POST /v1/admin/stores",
      "POST /v1/admin/products",
      "PUT /v1/admin/stores/{storeId}/stock/{sku}",
      "POST /v1/admin/stores/{storeId}/riders",
      "POST /v1/deliveries/{orderId}/status",
      "GET /v1/health",
    ]) {
      expect(documented).toContain(route);
    }
    expect(documented.filter((route) => !route.includes(" /v1/"))).toEqual([
      "POST /internal/purge",
      "POST /internal/orders/{id}/live",
      "POST /internal/jwks/purge",
    ]);
  });

  it("describes core's service-to-service routes, and keeps them out of the public document", () => {
    const core = operations(coreApiDocument());
    expect(core).toContain("POST /internal/v1/quotes");
    expect(core).toContain("POST /internal/v1/reservations/{orderId}/substitutes");
    expect(operations(publicApiDocument()).some((route) => route.includes("/internal/v1/"))).toBe(false);
  });

  it("documents checkout's Idempotency-Key header, the bearer scheme and problem+json errors", () => {
    const document = publicApiDocument() as {
      paths: Record<
        string,
        Record<string, { parameters?: { name: string; in: string; required: boolean }[] }>
      >;
      components: { securitySchemes: Record<string, unknown> };
    };
    const checkout = document.paths["/v1/orders"]?.post as Record<string, unknown> & {
      parameters: { name: string; in: string; required: boolean }[];
      responses: Record<string, { content?: Record<string, unknown> }>;
    };
    expect(checkout.parameters).toContainEqual(
      expect.objectContaining({ name: "Idempotency-Key", in: "header", required: true }),
    );
    expect(checkout.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(checkout.responses["400"]?.content ?? {})).toEqual(["application/problem+json"]);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("makes the validator reject a document whose $ref points nowhere", async () => {
    const broken = publicApiDocument() as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const health = broken.paths["/v1/health"]?.get as { responses: Record<string, unknown> };
    health.responses["200"] = {
      description: "OK",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Missing" } } },
    };
    await expect(validate(broken)).rejects.toThrow();
  });

  it("makes the validator reject a parameter in a place OpenAPI 3.1 does not have", async () => {
    const broken = publicApiDocument() as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const cart = broken.paths["/v1/cart"]?.get as { parameters: { in: string }[] };
    (cart.parameters[0] as { in: string }).in = "body";
    await expect(validate(broken)).rejects.toThrow();
  });
});
