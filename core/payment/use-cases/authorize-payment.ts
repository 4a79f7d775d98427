import { createMessage, type MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { enqueue } from "../../shared/outbox/enqueue";
import { BulkheadRejectedError, isBrokenCircuitError } from "../../shared/resilience";
import type { PaymentProvider, ProviderResult } from "../clients/card-processor/provider";
import { findIntentByOrder, insertIntent, lockOrder } from "../db/intent-repository";
import { post } from "../db/ledger-repository";
import type { Database } from "../db/schema";
import { idempotencyKey, paymentIdFor } from "../domain/keys";
import { replyTo, stateOf } from "../domain/replies";

/**
 * AuthorizePayment: asks the processor to hold the amount, then records the intent, the ledger hold and the
 * answer in the consumer's transaction. The call comes first and is keyed by the payment id, so a crash
 * before commit redelivers the command and the retry gets the processor's first answer, never a second
 * hold. When the processor does not answer in time the authorization is voided under its key, so nothing
 * stays authorized, and the saga hears PaymentTimedOut.
 */
export async function authorizePayment(
  trx: Kysely<Database>,
  command: MessageOf<"AuthorizePayment">,
  provider: PaymentProvider,
): Promise<void> {
  const { orderId, amount, token } = command.data;
  const meta = replyTo(command);
  await lockOrder(trx, orderId);
  const existing = await findIntentByOrder(trx, orderId);
  if (existing) return enqueue(trx, stateOf(existing, meta));

  const paymentId = command.data.paymentId ?? paymentIdFor(orderId);
  const authorizationKey = idempotencyKey("authorize", paymentId);
  let result: ProviderResult | "timeout";
  try {
    result = await provider.authorize({ idempotencyKey: authorizationKey, token, ...amount });
  } catch (error) {
    // Unknown outcome: make sure it cannot stay held (unless our own breaker or bulkhead stopped the call
    // before it left). If the void fails too, the command is retried.
    if (!(isBrokenCircuitError(error) || error instanceof BulkheadRejectedError)) {
      await provider.void({ idempotencyKey: idempotencyKey("void", paymentId), authorizationKey });
    }
    result = "timeout";
  }

  const intent = {
    payment_id: paymentId,
    order_id: orderId,
    amount_minor: amount.amountMinor,
    currency: amount.currency,
  };
  if (result === "timeout") {
    await insertIntent(trx, { ...intent, status: "FAILED" });
    return enqueue(trx, createMessage("PaymentTimedOut", { orderId, paymentId }, meta));
  }
  if (!result.ok) {
    await insertIntent(trx, { ...intent, status: "DECLINED", decline_code: result.code });
    return enqueue(trx, createMessage("PaymentDeclined", { orderId, paymentId, reason: result.code }, meta));
  }
  await insertIntent(trx, { ...intent, status: "AUTHORIZED", provider_reference: result.reference });
  await post(trx, { paymentId, movement: "AUTHORIZE", ...amount });
  await enqueue(trx, createMessage("PaymentAuthorized", { orderId, paymentId, amount }, meta));
}
