import { type AnyMessage, createMessage, type MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { AheadOfTurn, firstOfTheirSubject } from "../../shared/consumer/ahead-of-turn";
import { lockUntilCommit } from "../../shared/db/locks";
import { enqueue } from "../../shared/outbox/enqueue";
import { BulkheadRejectedError, isBrokenCircuitError } from "../../shared/resilience";
import type { PaymentProvider, ProviderResult } from "../clients/card-processor/provider";
import { findIntentByOrder, insertFreshIntent, insertIntentUnlessRecorded } from "../db/intent-repository";
import { post } from "../db/ledger-repository";
import type { Database } from "../db/schema";
import { idempotencyKey, paymentIdFor } from "../domain/keys";
import { replyTo, stateOf } from "../domain/replies";

/** What the processor answered for one authorization: its result, or no answer in time. */
export type AuthorizationOutcome = ProviderResult | "timeout";

/**
 * AuthorizePayment, outside any transaction: asks the processor to hold the amount, keyed by the payment id,
 * so a redelivered command gets the processor's first answer, never a second hold. No lookup comes first: a
 * message handled before is skipped by the inbox, and any other repeat gets the first answer from the
 * processor, then finds the recorded intent in recordAuthorization. When the processor does not answer in
 * time the authorization is voided under its key, so nothing stays authorized.
 */
export async function requestAuthorization(
  command: MessageOf<"AuthorizePayment">,
  provider: PaymentProvider,
): Promise<AuthorizationOutcome> {
  const { orderId, amount, token } = command.data;
  const paymentId = command.data.paymentId ?? paymentIdFor(orderId);
  const authorizationKey = idempotencyKey("authorize", paymentId);
  try {
    return await provider.authorize({ idempotencyKey: authorizationKey, token, ...amount });
  } catch (error) {
    // Unknown outcome: make sure it cannot stay held (unless our own breaker or bulkhead stopped the call
    // before it left). If the void fails too, the command is retried.
    if (!(isBrokenCircuitError(error) || error instanceof BulkheadRejectedError)) {
      await provider.void({ idempotencyKey: idempotencyKey("void", paymentId), authorizationKey });
    }
    return "timeout";
  }
}

// The batch's authorizations expected to find no intent recorded (expectFreshAuthorizations).
const freshInBatch = new AheadOfTurn<true>();

/**
 * Before a batch is applied (the payment group's beforeApply): its authorizations that come first of their order
 * in the batch are expected to be the order's first, as nearly all are, so each records its intent without
 * waiting for an answer (insertFreshIntent); a repeat among them sends the batch back to be handled one by one.
 */
export async function expectFreshAuthorizations(
  trx: Kysely<Database>,
  messages: readonly AnyMessage[],
): Promise<void> {
  if (messages.length < 2) return;
  const fresh = firstOfTheirSubject(messages, "AuthorizePayment");
  freshInBatch.keep(trx, new Map(fresh.map((command) => [command.id, true as const])));
}

/**
 * AuthorizePayment, in the consumer's transaction: records the intent, the ledger hold and the answer the
 * processor gave (see requestAuthorization). An intent recorded before (a repeat, or a void's tombstone)
 * wins: its state is the answer. The intent is inserted first and looked up only when it was there.
 */
export async function recordAuthorization(
  trx: Kysely<Database>,
  command: MessageOf<"AuthorizePayment">,
  outcome: AuthorizationOutcome,
): Promise<void> {
  const { orderId, amount } = command.data;
  const meta = replyTo(command);
  await lockUntilCommit(trx, orderId);
  const paymentId = command.data.paymentId ?? paymentIdFor(orderId);
  const intent = {
    payment_id: paymentId,
    order_id: orderId,
    amount_minor: amount.amountMinor,
    currency: amount.currency,
    ...(outcome === "timeout"
      ? { status: "FAILED" as const }
      : outcome.ok
        ? { status: "AUTHORIZED" as const, provider_reference: outcome.reference }
        : { status: "DECLINED" as const, decline_code: outcome.code }),
  };
  if (freshInBatch.take(trx, command.id)) await insertFreshIntent(trx, intent);
  else if (!(await insertIntentUnlessRecorded(trx, intent))) {
    const existing = await findIntentByOrder(trx, orderId);
    if (!existing) throw new Error(`order ${orderId}: payment intent neither inserted nor found`);
    return enqueue(trx, stateOf(existing, meta));
  }
  if (outcome === "timeout")
    return enqueue(trx, createMessage("PaymentTimedOut", { orderId, paymentId }, meta));
  if (!outcome.ok)
    return enqueue(trx, createMessage("PaymentDeclined", { orderId, paymentId, reason: outcome.code }, meta));
  await post(trx, { paymentId, movement: "AUTHORIZE", ...amount });
  await enqueue(trx, createMessage("PaymentAuthorized", { orderId, paymentId, amount }, meta));
}
