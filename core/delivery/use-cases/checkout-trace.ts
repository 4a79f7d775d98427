import { extractContext, withSpan } from "../../shared/telemetry/tracing";
import type { DeliveryTrace } from "../db/delivery-repository";

/**
 * Runs `fn` in a span `name` of the delivery's checkout trace (a rider's or a picker's request is a trace of
 * its own), so the order's path from checkout to DELIVERED is one trace; without a stored context it runs as
 * it is.
 */
export function inCheckoutTrace<T>(
  delivery: DeliveryTrace | undefined,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  if (!delivery?.traceparent) return fn();
  return withSpan(
    name,
    {
      "order.id": delivery.order_id,
      "delivery.id": delivery.delivery_id,
      "delivery.status": delivery.status,
    },
    fn,
    { parent: extractContext({ traceparent: delivery.traceparent }) },
  );
}
