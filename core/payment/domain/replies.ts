import { type AnyMessage, causedBy, createMessage, type MessageMeta } from "@qc/contracts";
import type { IntentRow } from "../db/schema";

export const replyTo = (command: Pick<AnyMessage, "id" | "correlationId" | "traceparent">): MessageMeta =>
  causedBy(command, "payment");

export const moneyOf = (intent: IntentRow) => ({
  amountMinor: intent.amount_minor ?? 0,
  currency: intent.currency ?? "XXX",
});

/** What an intent's current state answers to a repeated or late command about it. */
export function stateOf(intent: IntentRow, meta: MessageMeta) {
  const ref = { orderId: intent.order_id, paymentId: intent.payment_id };
  switch (intent.status) {
    case "AUTHORIZED":
      return createMessage("PaymentAuthorized", { ...ref, amount: moneyOf(intent) }, meta);
    case "CAPTURED":
      return createMessage("PaymentCaptured", { ...ref, amount: moneyOf(intent) }, meta);
    case "REFUNDED":
      return createMessage("PaymentRefunded", { ...ref, amount: moneyOf(intent) }, meta);
    case "VOIDED":
      return createMessage("PaymentVoided", ref, meta);
    case "DECLINED":
      return createMessage("PaymentDeclined", { ...ref, reason: intent.decline_code ?? "declined" }, meta);
    case "FAILED":
      return createMessage("PaymentTimedOut", ref, meta);
  }
}
