import type { AnyMessage, MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { type MessageHandler, type PreparedHandler, startConsumer } from "../../shared/consumer/runner";
import type { ServiceContext } from "../../shared/runtime/context";
import type { PaymentProvider } from "../clients/card-processor/provider";
import type { Database } from "../db/schema";
import {
  type AuthorizationOutcome,
  recordAuthorization,
  requestAuthorization,
} from "../use-cases/authorize-payment";
import { capturePayment } from "../use-cases/capture-payment";
import { refundPayment } from "../use-cases/refund-payment";
import { voidPayment } from "../use-cases/void-payment";

type Command = "AuthorizePayment" | "CapturePayment" | "VoidPayment" | "RefundPayment";
type Step<T extends Command> = (
  trx: Kysely<Database>,
  command: Extract<AnyMessage, { type: T }>,
  provider: PaymentProvider,
) => Promise<void>;

/**
 * The saga's payment commands, each applied once (inbox). An authorization, the hot path of every checkout,
 * calls the processor before the transaction (PreparedHandler): the calls of one round run concurrently
 * across orders and no connection waits on the processor. Capture, void and refund (rarer: delivery and
 * compensation) still call it inside their transaction, bounded by the call's own deadline.
 */
export function startCommandConsumer(ctx: ServiceContext<Database>, provider: PaymentProvider) {
  // The runner hands each handler the message type it is registered for.
  const bind =
    <T extends Command>(step: Step<T>): MessageHandler =>
    (trx, message) =>
      step(trx as Kysely<Database>, message as Extract<AnyMessage, { type: T }>, provider);
  const authorize: PreparedHandler<AuthorizationOutcome> = {
    prepare: (message) => requestAuthorization(ctx.db, message as MessageOf<"AuthorizePayment">, provider),
    apply: (trx, message, outcome) =>
      recordAuthorization(trx as Kysely<Database>, message as MessageOf<"AuthorizePayment">, outcome),
  };
  return startConsumer(
    {
      groupId: "payment",
      topics: ["payment.commands.v1"],
      handlers: {
        AuthorizePayment: authorize,
        CapturePayment: bind(capturePayment),
        VoidPayment: bind(voidPayment),
        RefundPayment: bind(refundPayment),
      },
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
}
