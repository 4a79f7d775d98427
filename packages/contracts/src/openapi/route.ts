import type { z } from "zod";
import type { Role } from "../common";

/** HTTP methods the services answer; lower case as OpenAPI path items spell them. */
export type HttpMethod = "get" | "post" | "put" | "delete";

/** One response of a route: a description and, when it has a body, the contract schema of it. */
export interface RouteResponse {
  description: string;
  schema?: z.ZodType;
  /** The body's media type (default `application/json`; `text/event-stream` for a stream of `schema`). */
  contentType?: string;
}

/**
 * One HTTP route, described from the same zod contracts the route validates with, so the document
 * cannot drift from the code. `path` uses OpenAPI's `{param}` syntax; `roles` means a bearer token
 * holding one of them is required, an absent `roles` means anyone may call.
 */
export interface RouteSpec {
  method: HttpMethod;
  path: string;
  summary: string;
  tag: string;
  roles?: readonly Role[];
  request?: {
    params?: z.ZodObject;
    query?: z.ZodObject;
    headers?: z.ZodObject;
    body?: z.ZodType;
  };
  responses: Record<number, RouteResponse>;
}
