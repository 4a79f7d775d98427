import { type Context, context, createContextKey } from "@opentelemetry/api";

/**
 * Who is working right now: the service, the request's correlation id and the order, kept in the active
 * OpenTelemetry context so that logs and spans deep in a call pick them up without being handed them.
 */
export interface Scope {
  service?: string;
  correlationId?: string;
  orderId?: string;
}

const keys = {
  service: createContextKey("qc.service"),
  correlationId: createContextKey("qc.correlation_id"),
  orderId: createContextKey("qc.order_id"),
} as const;

/** A context carrying the given scope fields on top of `parent` (undefined fields keep the parent's). */
export function scopedContext(fields: Scope, parent: Context = context.active()): Context {
  let scoped = parent;
  for (const [field, key] of Object.entries(keys)) {
    const value = fields[field as keyof Scope];
    if (value) scoped = scoped.setValue(key, value);
  }
  return scoped;
}

/** Runs `fn` with the scope fields added to the active context, e.g. `inScope({ orderId }, () => ...)`. */
export function inScope<T>(fields: Scope, fn: () => T): T {
  return context.with(scopedContext(fields), fn);
}

/** The scope of the active context (empty outside any request or message). */
export function currentScope(active: Context = context.active()): Scope {
  const scope: Scope = {};
  for (const [field, key] of Object.entries(keys)) {
    const value = active.getValue(key);
    if (typeof value === "string") scope[field as keyof Scope] = value;
  }
  return scope;
}
