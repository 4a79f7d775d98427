import type { AnyMessage } from "@qc/contracts";
import type { Kysely } from "kysely";
import { type MessageHandler, startConsumer } from "../../shared/consumer/runner";
import type { ServiceContext } from "../../shared/runtime/context";
import type { PaymentProvider } from "../clients/card-processor/provider";
import type { Database } from "../db/schema";
import { authorizePayment } from "../use-cases/authorize-payment";
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
 * The saga's payment commands, each applied once (inbox). The runner runs a handler inside its
 * transaction, so the processor call happens with that transaction open: at most `concurrency`
 * connections wait on the processor at once, below the pool size, and the call's own deadline
 * (timeout × attempts) bounds how long each waits.
 */
export function startCommandConsumer(ctx: ServiceContext<Database>, provider: PaymentProvider) {
  // The runner hands each handler the message type it is registered for.
  const bind =
    <T extends Command>(step: Step<T>): MessageHandler =>
    (trx, message) =>
      step(trx as Kysely<Database>, message as Extract<AnyMessage, { type: T }>, provider);
  return startConsumer(
    {
      groupId: "payment",
      topics: ["payment.commands.v1"],
      concurrency: 2,
      // One command per transaction: a batch would hold every answer in it back behind the slowest
      // processor call (a timeout costs timeout × attempts), past the saga's deadline.
      batchSize: 1,
      handlers: {
        AuthorizePayment: bind(authorizePayment),
        CapturePayment: bind(capturePayment),
        VoidPayment: bind(voidPayment),
        RefundPayment: bind(refundPayment),
      },
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
}
