import { z } from "zod";
import { PROBLEM_CONTENT_TYPE, Problem } from "../problem";
import type { RouteSpec } from "./route";

type JsonSchema = Record<string, unknown>;

/** How a document says who may call: one security scheme and which routes require it. */
export interface SecurityOption {
  name: string;
  scheme: JsonSchema;
  requiredBy: (route: RouteSpec) => boolean;
}

export interface DocumentOptions {
  title: string;
  version: string;
  description?: string;
  servers: { url: string; description?: string }[];
  security: SecurityOption;
  /** Exported contract schemas by name: a response schema found here becomes a component and a `$ref`. */
  names: Record<string, unknown>;
}

// OpenAPI 3.1 schema objects are JSON Schema 2020-12, so zod's draft-2020-12 output fits as it is.
const TARGET = "draft-2020-12";

function withoutMeta({ $schema: _schema, $id: _id, ...schema }: JsonSchema): JsonSchema {
  return schema;
}

function inline(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  return withoutMeta(z.toJSONSchema(schema, { target: TARGET, io, unrepresentable: "any" }) as JsonSchema);
}

function schemaNames(names: Record<string, unknown>): Map<z.ZodType, string> {
  const byschema = new Map<z.ZodType, string>();
  for (const [name, value] of Object.entries(names)) {
    // Aliases (LogoutBody = RefreshBody) keep the first name.
    if (value instanceof z.ZodType && !byschema.has(value)) byschema.set(value, name);
  }
  byschema.set(Problem, "Problem");
  return byschema;
}

/** Components for Problem and every named response schema; named schemas nested in them become `$ref`s too. */
function components(routes: readonly RouteSpec[], named: Map<z.ZodType, string>): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  registry.add(Problem, { id: "Problem" });
  for (const route of routes) {
    for (const { schema } of Object.values(route.responses)) {
      const name = schema && named.get(schema);
      if (schema && name && !registry.has(schema)) registry.add(schema, { id: name });
    }
  }
  const { schemas } = z.toJSONSchema(registry, {
    target: TARGET,
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, withoutMeta(schema)]));
}

function parameters(where: "path" | "query" | "header", schema?: z.ZodObject): JsonSchema[] {
  if (!schema) return [];
  const { properties = {}, required = [] } = inline(schema, "input") as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || required.includes(name),
    schema: property,
  }));
}

const problemContent = { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: "#/components/schemas/Problem" } } };

function responses(route: RouteSpec, named: Map<z.ZodType, string>): JsonSchema {
  const documented: JsonSchema = {};
  for (const [status, { description, schema, contentType }] of Object.entries(route.responses)) {
    const name = schema && named.get(schema);
    const body = name ? { $ref: `#/components/schemas/${name}` } : schema && inline(schema, "output");
    documented[status] = body
      ? { description, content: { [contentType ?? "application/json"]: { schema: body } } }
      : { description };
  }
  const problem = (description: string) => ({ description, content: problemContent });
  if (route.request) documented["400"] = problem("Invalid input; `errors` names each field");
  if (route.roles) {
    documented["401"] = problem("Missing, expired or invalid credentials");
    documented["403"] = problem(`Requires one of the roles: ${route.roles.join(", ")}`);
  }
  documented.default = problem("Any other error (404, 409, 422, 429, 5xx) as problem details");
  return documented;
}

function operation(route: RouteSpec, named: Map<z.ZodType, string>, security: SecurityOption): JsonSchema {
  const { request = {} } = route;
  const params = [
    ...parameters("path", request.params),
    ...parameters("query", request.query),
    ...parameters("header", request.headers),
  ];
  return {
    operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, next = "") => next.toUpperCase())}`,
    summary: route.summary,
    tags: [route.tag],
    ...(route.roles && { "x-roles": route.roles }),
    ...(security.requiredBy(route) && { security: [{ [security.name]: [] }] }),
    ...(params.length > 0 && { parameters: params }),
    ...(request.body && {
      requestBody: {
        required: true,
        content: { "application/json": { schema: inline(request.body, "input") } },
      },
    }),
    responses: responses(route, named),
  };
}

/** An OpenAPI 3.1 document for the routes, generated from their zod contracts (pure: no I/O). */
export function buildOpenApiDocument(routes: readonly RouteSpec[], options: DocumentOptions): JsonSchema {
  const named = schemaNames(options.names);
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method]: operation(route, named, options.security) };
  }
  return {
    openapi: "3.1.0",
    info: { title: options.title, version: options.version, description: options.description },
    servers: options.servers,
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: components(routes, named),
      securitySchemes: { [options.security.name]: options.security.scheme },
    },
  };
}
