import { type Context, context, createContextKey, propagation, trace } from "@opentelemetry/api";

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

// The order id also travels as W3C baggage, so a service called over HTTP or reached through Kafka while
// working on an order (a price quote during checkout, an event's consumer) has it in scope before it has
// read any body: every span and log line of the order's work carries it.
const ORDER_BAGGAGE = "orderId";

const withOrderBaggage = (active: Context, orderId: string) =>
  propagation.setBaggage(
    active,
    (propagation.getBaggage(active) ?? propagation.createBaggage()).setEntry(ORDER_BAGGAGE, {
      value: orderId,
    }),
  );

/** A context carrying the given scope fields on top of `parent` (undefined fields keep the parent's). */
export function scopedContext(fields: Scope, parent: Context = context.active()): Context {
  let scoped = parent;
  for (const [field, key] of Object.entries(keys)) {
    const value = fields[field as keyof Scope];
    if (value) scoped = scoped.setValue(key, value);
  }
  return fields.orderId ? withOrderBaggage(scoped, fields.orderId) : scoped;
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
  scope.orderId ??= propagation.getBaggage(active)?.getEntry(ORDER_BAGGAGE)?.value;
  if (!scope.orderId) delete scope.orderId;
  return scope;
}

/**
 * Work on one order from here on: the active span (a request's server span, say) is stamped with the order id
 * and `fn` runs with it in scope, so its spans, log lines and outgoing calls and messages carry it.
 */
export function forOrder<T>(orderId: string, fn: () => T): T {
  trace.getActiveSpan()?.setAttribute("orderId", orderId);
  return inScope({ orderId }, fn);
}
