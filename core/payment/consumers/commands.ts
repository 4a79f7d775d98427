import type { AnyMessage, MessageOf } from "@qc/contracts";
import type { Kysely } from "kysely";
import { type MessageHandler, type PreparedHandler, startConsumer } from "../../shared/consumer/runner";
import type { ServiceContext } from "../../shared/runtime/context";
import { type Answers, answeredFirst, recording } from "../clients/card-processor/answered";
import type { PaymentProvider } from "../clients/card-processor/provider";
import type { Database } from "../db/schema";
import {
  type AuthorizationOutcome,
  expectFreshAuthorizations,
  recordAuthorization,
  requestAuthorization,
} from "../use-cases/authorize-payment";
import { captureAtProcessor, capturePayment } from "../use-cases/capture-payment";
import { refundPayment } from "../use-cases/refund-payment";
import { voidAtProcessor, voidPayment } from "../use-cases/void-payment";

type Command = "AuthorizePayment" | "CapturePayment" | "VoidPayment" | "RefundPayment";
type Step<T extends Command> = (
  trx: Kysely<Database>,
  command: Extract<AnyMessage, { type: T }>,
  provider: PaymentProvider,
) => Promise<void>;

/**
 * The saga's payment commands, each applied once (inbox). Authorize, void and capture call the processor
 * before the transaction (PreparedHandler): the calls of one batch run concurrently across orders and no
 * connection waits on the processor. A refund (rare: a void that meets a captured payment) still calls it
 * inside its transaction, bounded by the call's own deadline.
 */
export function startCommandConsumer(ctx: ServiceContext<Database>, provider: PaymentProvider) {
  // The runner hands each handler the message type it is registered for.
  const bind =
    <T extends Command>(step: Step<T>): MessageHandler =>
    (trx, message) =>
      step(trx as Kysely<Database>, message as Extract<AnyMessage, { type: T }>, provider);
  // Void and capture call the processor before the transaction too; inside it, the use-case finds the
  // answers it needs already given (answeredFirst) and only re-decides under the order's lock.
  const answeredBeforehand = <T extends "VoidPayment" | "CapturePayment">(
    call: (
      db: Kysely<Database>,
      command: Extract<AnyMessage, { type: T }>,
      provider: PaymentProvider,
    ) => Promise<void>,
    step: Step<T>,
  ): PreparedHandler<Answers> => ({
    async prepare(message) {
      const answers: Answers = new Map();
      await call(ctx.db, message as Extract<AnyMessage, { type: T }>, recording(provider, answers));
      return answers;
    },
    apply: (trx, message, answers) =>
      step(
        trx as Kysely<Database>,
        message as Extract<AnyMessage, { type: T }>,
        answeredFirst(provider, answers),
      ),
  });
  const authorize: PreparedHandler<AuthorizationOutcome> = {
    prepare: (message) => requestAuthorization(message as MessageOf<"AuthorizePayment">, provider),
    apply: (trx, message, outcome) =>
      recordAuthorization(trx as Kysely<Database>, message as MessageOf<"AuthorizePayment">, outcome),
  };
  return startConsumer(
    {
      groupId: "payment",
      topics: ["payment.commands.v1"],
      handlers: {
        AuthorizePayment: authorize,
        CapturePayment: answeredBeforehand(captureAtProcessor, capturePayment),
        VoidPayment: answeredBeforehand(voidAtProcessor, voidPayment),
        RefundPayment: bind(refundPayment),
      },
      effectsInTransaction: true,
      beforeApply: (trx, messages) => expectFreshAuthorizations(trx as Kysely<Database>, messages),
    },
    { db: ctx.db, bus: ctx.bus, logger: ctx.logger, topicPrefix: ctx.config.TOPIC_PREFIX },
  );
}
