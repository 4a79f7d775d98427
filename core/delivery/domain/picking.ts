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

/** A reported line, checked: the picked units and, for the missing ones, the substitute put in (not priced yet). */
export type CheckedLine = Omit<PackedLine, "substitute"> & { substitute?: { sku: string; quantity: number } };

/**
 * What the picker reports against what was ordered: one entry per ordered SKU and nothing else, 0 up to the
 * ordered units picked (the rest are missing and not charged), and a substitute for the missing units only when
 * the shopper allowed substitutes — another SKU than the order's own, on a line that misses something. A bag
 * with nothing in it is not packed (that order is for the shop to cancel). Errors name the field.
 */
export function checkBag(
  ordered: readonly Line[],
  reported: CompletePickTaskBody["lines"],
  allowSubstitutions: boolean,
): { lines: CheckedLine[] } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  const bySku = new Map(ordered.map((line) => [line.sku, line.quantity]));
  const byReport = new Map<string, CompletePickTaskBody["lines"][number]>();
  reported.forEach((line, index) => {
    const at = (field: string, message: string) => {
      errors.push({ path: `lines.${index}.${field}`, message });
    };
    const quantity = bySku.get(line.sku);
    if (quantity === undefined) at("sku", "not in this order");
    else if (byReport.has(line.sku)) at("sku", "reported twice");
    else {
      byReport.set(line.sku, line);
      if (line.picked > quantity) at("picked", `at most ${quantity}, what was ordered`);
      if (line.substituteSku === undefined) return;
      if (!allowSubstitutions) at("substituteSku", "the shopper did not allow substitutes");
      else if (line.picked >= quantity) at("substituteSku", "nothing is missing on this line");
      else if (bySku.has(line.substituteSku)) at("substituteSku", "already in this order");
    }
  });
  for (const line of ordered)
    if (!byReport.has(line.sku)) errors.push({ path: "lines", message: `${line.sku} is missing` });
  if (errors.length > 0) return { errors };
  const lines = ordered.map((line): CheckedLine => {
    const { picked, substituteSku } = byReport.get(line.sku) ?? { picked: 0 };
    const missing = line.quantity - picked;
    return substituteSku
      ? { ...line, picked, substitute: { sku: substituteSku, quantity: missing } }
      : { ...line, picked };
  });
  if (lines.every((line) => line.picked === 0 && !line.substitute))
    return { errors: [{ path: "lines", message: "nothing was picked" }] };
  return { lines };
}

const texts: Record<Exclude<NotificationKind, "ORDER_CONFIRMED" | "ITEMS_CHANGED">, string> = {
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

/** A line's change as the shopper reads it, or null when it came as ordered. */
function changeOf(line: PackedLine): string | null {
  const missing = line.quantity - line.picked;
  if (missing === 0) return null;
  if (line.substitute) return `${line.sku}: ${line.substitute.quantity} replaced by ${line.substitute.sku}`;
  return `${line.sku}: ${missing} of ${line.quantity} not available, not charged`;
}

/** What changed in the shopper's bag (missing items, substitutes), or null when it was packed as ordered. */
export function itemsChangedNotice(
  notificationId: string,
  { orderId, userId }: { orderId: string; userId: string },
  lines: readonly PackedLine[],
): ShopperNotification | null {
  const changes = lines.map(changeOf).filter((change) => change !== null);
  if (changes.length === 0) return null;
  const body = `Changes to your order: ${changes.join("; ")}`;
  // The notification's body has room for 500 characters; a very long list is cut, never refused.
  return { notificationId, orderId, userId, kind: "ITEMS_CHANGED", body: body.slice(0, 500) };
}
