import { createMessage, type MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { lockUntilCommit } from "../../shared/db/locks";
import { enqueue } from "../../shared/outbox/enqueue";
import { BulkheadRejectedError, isBrokenCircuitError } from "../../shared/resilience";
import type { PaymentProvider } from "../clients/card-processor/provider";
import { findIntentByOrder, insertIntent, setIntentStatus } from "../db/intent-repository";
import { post } from "../db/ledger-repository";
import type { Database } from "../db/schema";
import { idempotencyKey } from "../domain/keys";
import { moneyOf, replyTo, stateOf } from "../domain/replies";
import { refundCaptured } from "./refund-payment";

const unlessOurOwnRefusal = (error: unknown) => {
  if (!(isBrokenCircuitError(error) || error instanceof BulkheadRejectedError)) throw error;
};

/**
 * VoidPayment's call to the processor, before the transaction: the void `voidPayment` will make for the
 * intent as it stands (a captured payment's refund is left to the transaction: it is rare).
 */
export async function voidAtProcessor(
  db: Kysely<Database>,
  command: MessageOf<"VoidPayment">,
  provider: PaymentProvider,
): Promise<void> {
  const intent = await findIntentByOrder(db, command.data.orderId);
  const id = intent?.payment_id ?? command.data.paymentId;
  const keys = {
    idempotencyKey: idempotencyKey("void", id),
    authorizationKey: idempotencyKey("authorize", id),
  };
  if (!intent || intent.status === "AUTHORIZED") await provider.void(keys);
  else if (intent.status === "FAILED") await provider.void(keys).catch(unlessOurOwnRefusal);
}

/**
 * VoidPayment, the compensation of AuthorizePayment: an authorized intent's hold is released. For a payment
 * we never recorded (the void overtook its authorization, or the authorization crashed mid-way) the
 * processor is told to void the key anyway and a VOIDED tombstone is kept, so a late AuthorizePayment
 * cannot hold money for a saga that gave up. A declined, failed or voided payment has nothing held and
 * answers PaymentVoided; a payment already captured is refunded instead.
 */
export async function voidPayment(
  trx: Kysely<Database>,
  command: MessageOf<"VoidPayment">,
  provider: PaymentProvider,
): Promise<void> {
  const { orderId, paymentId } = command.data;
  const meta = replyTo(command);
  const voided = () => enqueue(trx, createMessage("PaymentVoided", { orderId, paymentId }, meta));
  await lockUntilCommit(trx, orderId);
  const intent = await findIntentByOrder(trx, orderId);
  const voidAtProvider = async (id: string) => {
    const keys = {
      idempotencyKey: idempotencyKey("void", id),
      authorizationKey: idempotencyKey("authorize", id),
    };
    return provider.void(keys);
  };

  if (!intent) {
    await voidAtProvider(paymentId);
    await insertIntent(trx, { payment_id: paymentId, order_id: orderId, status: "VOIDED" });
    return voided();
  }
  if (intent.status === "CAPTURED") return refundCaptured(trx, intent, moneyOf(intent), provider, meta);
  if (intent.status === "REFUNDED") return enqueue(trx, stateOf(intent, meta));
  if (intent.status !== "AUTHORIZED") {
    // A timed-out authorization was voided under the same key already (or never left, stopped by our own
    // breaker); repeating it makes sure, but must not hold the partition while the breaker is open.
    if (intent.status === "FAILED") await voidAtProvider(intent.payment_id).catch(unlessOurOwnRefusal);
    return voided();
  }

  const result = await voidAtProvider(intent.payment_id);
  if (!result.ok) throw new Error(`processor refused to void ${intent.payment_id}: ${result.code}`);
  await setIntentStatus(trx, intent.payment_id, "VOIDED");
  await post(trx, { paymentId: intent.payment_id, movement: "VOID", ...moneyOf(intent) });
  await enqueue(trx, createMessage("PaymentVoided", { orderId, paymentId: intent.payment_id }, meta));
}
