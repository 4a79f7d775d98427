import type {
  CompletePickTaskBody,
  Line,
  NotificationKind,
  OrderStatus,
  PackedLine,
  ShopperNotification,
} from "@qc/contracts";

/** Express orders jump their store's queue (the queue's `x-max-priority`). */
export const EXPRESS_PRIORITY = 1;
export const priorityOf = (express: boolean) => (express ? EXPRESS_PRIORITY : 0);

export type FieldError = { path: string; message: string };

/**
 * What the picker reports against what was ordered: one entry per ordered SKU, nothing else, and for now every
 * line picked in full (missing items and substitutions come later and will relax this). Errors name the field.
 */
export function packedLines(
  ordered: readonly Line[],
  reported: CompletePickTaskBody["lines"],
): { lines: PackedLine[] } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  const bySku = new Map(ordered.map((line) => [line.sku, line.quantity]));
  const seen = new Set<string>();
  reported.forEach((line, index) => {
    const quantity = bySku.get(line.sku);
    if (quantity === undefined) errors.push({ path: `lines.${index}.sku`, message: "not in this order" });
    else if (seen.has(line.sku)) errors.push({ path: `lines.${index}.sku`, message: "reported twice" });
    else if (line.picked !== quantity)
      errors.push({ path: `lines.${index}.picked`, message: `must be ${quantity}, all that was ordered` });
    seen.add(line.sku);
  });
  for (const line of ordered)
    if (!seen.has(line.sku)) errors.push({ path: "lines", message: `${line.sku} is missing` });
  if (errors.length > 0) return { errors };
  return { lines: ordered.map((line) => ({ ...line, picked: line.quantity })) };
}

const texts: Record<Exclude<NotificationKind, "ORDER_CONFIRMED">, string> = {
  PACKED: "Your order is packed and waiting for its rider",
  PICKED_UP: "Your rider has picked up your order",
  OUT_FOR_DELIVERY: "Your order is on its way",
  DELIVERED: "Your order has been delivered",
};

/** What the shopper is told of an order's status, if anything; one notification per event (its id). */
export function notificationOf(
  notificationId: string,
  { orderId, userId }: { orderId: string; userId: string },
  status: OrderStatus,
  etaMinutes?: number,
): ShopperNotification | null {
  if (status === "CONFIRMED")
    return {
      notificationId,
      orderId,
      userId,
      kind: "ORDER_CONFIRMED",
      body: `Your order is confirmed and arrives in about ${etaMinutes} minutes`,
    };
  if (status in texts) {
    const kind = status as keyof typeof texts;
    return { notificationId, orderId, userId, kind, body: texts[kind] };
  }
  return null;
}

/** How a work item is settled: done with, back after the retry delay, or to the dead letters. */
export type Settlement = "done" | "later" | "dead";

type TaskState = {
  status: string;
  store_id: string;
  attempts: number;
  claim_id: string | null;
  lapsed: boolean;
};

/**
 * A picker took a work item; its task row decides (RabbitMQ may hold a second copy of an item, or one whose
 * holder vanished): a queued task, or one whose claim lapsed with attempts left, is claimed; a task held under
 * a live claim comes back later (that claim may still lapse); a finished one is done; an unknown one is poison.
 */
export function onTaken(
  task: TaskState | undefined,
  storeId: string,
  maxAttempts: number,
): Settlement | "claim" {
  if (!task || task.store_id !== storeId) return "dead";
  if (task.status === "QUEUED") return "claim";
  if (task.status !== "CLAIMED") return "done";
  if (!task.lapsed) return "later";
  return task.attempts >= maxAttempts ? "dead" : "claim";
}

/** A claim's visibility time ran out: unless it ended otherwise, the task goes back, or dies after its attempts. */
export function onLapsed(task: TaskState | undefined, claimId: string, maxAttempts: number): Settlement {
  if (!task || task.claim_id !== claimId || task.status !== "CLAIMED") return "done";
  return task.attempts >= maxAttempts ? "dead" : "later";
}
