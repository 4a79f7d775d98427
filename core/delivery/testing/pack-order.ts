import type { PickTaskView } from "@qc/contracts";
import type { Kysely } from "kysely";
import type { SignedRequestOptions } from "../../shared/testing/signed-request";
import type { Database } from "../db/schema";

type Call = (
  method: string,
  path: string,
  options?: Pick<SignedRequestOptions, "body" | "user">,
) => Promise<Response>;

/**
 * The store packs a confirmed order in full, as its staff do: a picker of the order's store claims the store's
 * next tasks (the queue hands them out in its own order, so others' tasks ahead of this one are packed in full
 * too) until this order's task is packed. For tests whose rider must pick up: a rider can only take a packed bag.
 */
export async function packOrder(
  call: Call,
  db: Kysely<Database>,
  orderId: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const taskOf = () =>
    db
      .selectFrom("pick_tasks")
      .select(["store_id", "status"])
      .where("order_id", "=", orderId)
      .executeTakeFirst();
  let task = await taskOf();
  for (; !task; task = await taskOf()) {
    if (Date.now() > deadline) throw new Error(`order ${orderId} has no pick task`);
    await Bun.sleep(50);
  }
  const user = { userId: crypto.randomUUID(), roles: ["store_staff" as const], storeIds: [task.store_id] };
  while (task?.status !== "PACKED") {
    if (Date.now() > deadline) throw new Error(`order ${orderId} was not packed within ${timeoutMs} ms`);
    const next = await call("GET", `/v1/stores/${task?.store_id}/pick-tasks/next`, { user });
    if (next.status === 200) {
      const claimed = (await next.json()) as PickTaskView;
      const lines = claimed.lines.map(({ sku, quantity }) => ({ sku, picked: quantity }));
      const done = await call("POST", `/v1/pick-tasks/${claimed.taskId}/complete`, { user, body: { lines } });
      if (!done.ok) throw new Error(`packing ${claimed.orderId}: ${done.status} ${await done.text()}`);
    } else if (next.status === 204) await Bun.sleep(50);
    else throw new Error(`claiming a pick task: ${next.status} ${await next.text()}`);
    task = await taskOf();
  }
}
