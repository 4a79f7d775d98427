import { createMessage, type MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { lockUntilCommit } from "../../shared/db/locks";
import { enqueue } from "../../shared/outbox/enqueue";
import type { PaymentProvider } from "../clients/card-processor/provider";
import { findIntentByOrder, insertCapture, setIntentStatus } from "../db/intent-repository";
import { post } from "../db/ledger-repository";
import type { Database } from "../db/schema";
import { idempotencyKey } from "../domain/keys";
import { moneyOf, replyTo, stateOf } from "../domain/replies";

/** CapturePayment's call to the processor, before the transaction: the capture `capturePayment` will make. */
export async function captureAtProcessor(
  db: Kysely<Database>,
  command: MessageOf<"CapturePayment">,
  provider: PaymentProvider,
): Promise<void> {
  const intent = await findIntentByOrder(db, command.data.orderId);
  if (intent?.status !== "AUTHORIZED") return;
  const { amount } = command.data;
  if (amount.amountMinor > (intent.amount_minor ?? 0) || amount.currency !== intent.currency) return;
  await provider.capture({
    idempotencyKey: idempotencyKey("capture", intent.payment_id),
    authorizationKey: idempotencyKey("authorize", intent.payment_id),
    amountMinor: amount.amountMinor,
  });
}

/**
 * CapturePayment: only an authorized intent is captured, at most once (one capture key at the processor,
 * one payment_captures row here). A capture of a voided, declined, failed or unknown payment answers
 * PaymentCaptureFailed and moves no money; a repeat of a done capture answers PaymentCaptured again.
 */
export async function capturePayment(
  trx: Kysely<Database>,
  command: MessageOf<"CapturePayment">,
  provider: PaymentProvider,
): Promise<void> {
  const { orderId, paymentId } = command.data;
  const meta = replyTo(command);
  const refuse = (reason: string) =>
    enqueue(trx, createMessage("PaymentCaptureFailed", { orderId, paymentId, reason }, meta));
  await lockUntilCommit(trx, orderId);
  const intent = await findIntentByOrder(trx, orderId);
  if (!intent) return refuse("not_authorized");
  if (intent.status === "CAPTURED" || intent.status === "REFUNDED")
    return enqueue(trx, stateOf(intent, meta));
  if (intent.status !== "AUTHORIZED") return refuse(`payment_${intent.status.toLowerCase()}`);
  const amount = moneyOf(intent);
  if (
    command.data.amount.amountMinor > amount.amountMinor ||
    command.data.amount.currency !== amount.currency
  )
    return refuse("amount_exceeds_authorization");

  const captured = await provider.capture({
    idempotencyKey: idempotencyKey("capture", intent.payment_id),
    authorizationKey: idempotencyKey("authorize", intent.payment_id),
    amountMinor: command.data.amount.amountMinor,
  });
  if (!captured.ok) return refuse(captured.code);
  const capture = {
    paymentId: intent.payment_id,
    ...command.data.amount,
    providerReference: captured.reference,
  };
  if (!(await insertCapture(trx, capture))) return enqueue(trx, stateOf(intent, meta));
  await setIntentStatus(trx, intent.payment_id, "CAPTURED", command.data.amount.amountMinor);
  // The whole hold is lifted; a smaller capture releases the rest back to the shopper.
  await post(trx, { paymentId: intent.payment_id, movement: "CAPTURE", ...command.data.amount });
  const rest = amount.amountMinor - command.data.amount.amountMinor;
  if (rest > 0)
    await post(trx, {
      paymentId: intent.payment_id,
      movement: "VOID",
      amountMinor: rest,
      currency: amount.currency,
    });
  await enqueue(
    trx,
    createMessage(
      "PaymentCaptured",
      { orderId, paymentId: intent.payment_id, amount: command.data.amount },
      meta,
    ),
  );
}
