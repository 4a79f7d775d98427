import type { Metadata } from "@grpc/grpc-js";
import { injectTraceHeaders } from "../telemetry/tracing";

/** Adds the active span's `traceparent` and the scope's `baggage` (orderId) to a call's metadata. */
export function injectTraceMetadata(metadata: Metadata): Metadata {
  for (const [key, value] of Object.entries(injectTraceHeaders())) metadata.set(key, value);
  return metadata;
}

/** A call's text metadata as headers, for extractContext. */
export function metadataHeaders(metadata: Metadata): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap()))
    if (typeof value === "string") headers[key] = value;
  return headers;
}
