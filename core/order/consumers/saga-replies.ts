import type { AnyMessage } from "@qc/contracts";
import type { Kysely } from "kysely";
import type { MessageHandler } from "../../shared/consumer/runner";
import type { Logger } from "../../shared/telemetry/logger";
import type { Database } from "../db/schema";
import type { SagaInput } from "../domain/saga";
import { applySagaInput } from "../use-cases/apply";
import type { SagaSettings } from "../use-cases/settings";

type Reply = Extract<
  AnyMessage,
  {
    type:
      | "StockReserved"
      | "StockReservationFailed"
      | "StockCommitted"
      | "StockCommitFailed"
      | "PaymentAuthorized"
      | "PaymentDeclined"
      | "PaymentTimedOut"
      | "PaymentCaptured"
      | "PaymentCaptureFailed"
      | "DeliveryCreated"
      | "DeliveryFailed"
      | "DeliveryCancelled"
      | "DeliveryCancelRefused";
  }
>;

/** A participant's reply as the saga's input. */
export function inputOf(reply: Reply): SagaInput {
  switch (reply.type) {
    case "StockReservationFailed":
      return {
        type: reply.type,
        detail: reply.data.unavailable.map((line) => `${line.sku}: ${line.available} available`).join("; "),
      };
    case "StockCommitFailed":
      return { type: reply.type, detail: reply.data.reason };
    case "PaymentDeclined":
      return { type: reply.type, detail: reply.data.reason };
    case "PaymentCaptureFailed":
      return { type: reply.type, detail: reply.data.reason };
    case "DeliveryFailed":
      return {
        type: reply.type,
        reason: reply.data.reason === "NO_RIDER" ? "NO_RIDER" : "DELIVERY_FAILED",
        detail: reply.data.reason,
      };
    case "DeliveryCancelRefused":
      return { type: reply.type, detail: `the rider has the order (${reply.data.status})` };
    case "DeliveryCreated":
      return { type: reply.type, deliveryId: reply.data.deliveryId, etaMinutes: reply.data.etaMinutes };
    default:
      return { type: reply.type };
  }
}

export const replyTypes = [
  "StockReserved",
  "StockReservationFailed",
  "StockCommitted",
  "StockCommitFailed",
  "PaymentAuthorized",
  "PaymentDeclined",
  "PaymentTimedOut",
  "PaymentCaptured",
  "PaymentCaptureFailed",
  "DeliveryCreated",
  "DeliveryFailed",
  "DeliveryCancelled",
  "DeliveryCancelRefused",
] as const satisfies readonly Reply["type"][];

/** One reply → one saga step, in the transaction that records the reply in the inbox. */
export const sagaReplyHandler =
  (settings: SagaSettings, logger: Logger): MessageHandler =>
  async (trx, message: AnyMessage) => {
    const reply = message as Reply;
    const order = await applySagaInput(
      trx as Kysely<Database>,
      settings,
      reply.data.orderId,
      inputOf(reply),
      {
        cause: message,
      },
    );
    if (!order) logger.warn({ type: reply.type, subject: reply.subject }, "reply for no saga");
  };
