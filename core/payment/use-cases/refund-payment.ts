import { createMessage, type MessageMeta, type MessageOf, type Money } from "@qc/contracts";
import type { Kysely } from "kysely";
import { lockUntilCommit } from "../../shared/db/locks";
import { enqueue } from "../../shared/outbox/enqueue";
import type { PaymentProvider } from "../clients/card-processor/provider";
import { findIntentByOrder, setIntentStatus } from "../db/intent-repository";
import { post } from "../db/ledger-repository";
import type { Database, IntentRow } from "../db/schema";
import { idempotencyKey } from "../domain/keys";
import { replyTo, stateOf } from "../domain/replies";
import { voidPayment } from "./void-payment";

/** Gives captured money back (at most what was captured) and books it. */
export async function refundCaptured(
  trx: Kysely<Database>,
  intent: IntentRow,
  amount: Money,
  provider: PaymentProvider,
  meta: MessageMeta,
): Promise<void> {
  const refund = { ...amount, amountMinor: Math.min(amount.amountMinor, intent.amount_minor ?? 0) };
  const result = await provider.refund({
    idempotencyKey: idempotencyKey("refund", intent.payment_id),
    authorizationKey: idempotencyKey("authorize", intent.payment_id),
    amountMinor: refund.amountMinor,
  });
  if (!result.ok) throw new Error(`processor refused to refund ${intent.payment_id}: ${result.code}`);
  await setIntentStatus(trx, intent.payment_id, "REFUNDED");
  await post(trx, { paymentId: intent.payment_id, movement: "REFUND", ...refund });
  await enqueue(
    trx,
    createMessage(
      "PaymentRefunded",
      { orderId: intent.order_id, paymentId: intent.payment_id, amount: refund },
      meta,
    ),
  );
}

/**
 * RefundPayment: a captured payment is refunded once. One only authorized is voided instead (nothing was
 * taken); anything else answers with its current state.
 */
export async function refundPayment(
  trx: Kysely<Database>,
  command: MessageOf<"RefundPayment">,
  provider: PaymentProvider,
): Promise<void> {
  const { orderId, paymentId, amount } = command.data;
  const meta = replyTo(command);
  await lockUntilCommit(trx, orderId);
  const intent = await findIntentByOrder(trx, orderId);
  if (!intent)
    return enqueue(
      trx,
      createMessage("PaymentRefunded", { orderId, paymentId, amount: { ...amount, amountMinor: 0 } }, meta),
    );
  if (intent.status === "CAPTURED") return refundCaptured(trx, intent, amount, provider, meta);
  if (intent.status === "AUTHORIZED") {
    return voidPayment(trx, { ...command, type: "VoidPayment", data: { orderId, paymentId } }, provider);
  }
  await enqueue(trx, stateOf(intent, meta));
}
