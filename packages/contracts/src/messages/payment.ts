import { z } from "zod";
import { Id } from "../common";
import { Money } from "../money";
import { defineMessage } from "./define";

const byOrder = (data: { orderId: string }) => data.orderId;
const commands = "payment.commands.v1";
const replies = "payment.replies.v1";
const PaymentRef = z.object({ orderId: Id, paymentId: Id });

export const AuthorizePaymentData = z.object({
  orderId: Id,
  paymentId: Id.optional(),
  amount: Money,
  token: z.string().min(1).max(200),
});
export type AuthorizePaymentData = z.infer<typeof AuthorizePaymentData>;
export const CapturePaymentData = PaymentRef.extend({ amount: Money });
export type CapturePaymentData = z.infer<typeof CapturePaymentData>;
export const VoidPaymentData = PaymentRef;
export type VoidPaymentData = z.infer<typeof VoidPaymentData>;
export const RefundPaymentData = PaymentRef.extend({ amount: Money, reason: z.string().max(200).nullable() });
export type RefundPaymentData = z.infer<typeof RefundPaymentData>;

export const PaymentAuthorizedData = PaymentRef.extend({ amount: Money });
export type PaymentAuthorizedData = z.infer<typeof PaymentAuthorizedData>;
export const PaymentDeclinedData = z.object({
  orderId: Id,
  paymentId: Id.nullable(),
  reason: z.string().min(1).max(200),
});
export type PaymentDeclinedData = z.infer<typeof PaymentDeclinedData>;
export const PaymentTimedOutData = z.object({ orderId: Id, paymentId: Id.nullable() });
export type PaymentTimedOutData = z.infer<typeof PaymentTimedOutData>;
export const PaymentCapturedData = PaymentRef.extend({ amount: Money });
export type PaymentCapturedData = z.infer<typeof PaymentCapturedData>;
/** A CapturePayment refused because the intent is not authorized (voided, declined, failed or unknown). */
export const PaymentCaptureFailedData = PaymentRef.extend({ reason: z.string().min(1).max(200) });
export type PaymentCaptureFailedData = z.infer<typeof PaymentCaptureFailedData>;
export const PaymentVoidedData = PaymentRef;
export type PaymentVoidedData = z.infer<typeof PaymentVoidedData>;
export const PaymentRefundedData = PaymentRef.extend({ amount: Money });
export type PaymentRefundedData = z.infer<typeof PaymentRefundedData>;

export const paymentMessages = [
  defineMessage({
    type: "AuthorizePayment",
    topic: commands,
    version: 1,
    schema: AuthorizePaymentData,
    subject: byOrder,
  }),
  defineMessage({
    type: "CapturePayment",
    topic: commands,
    version: 1,
    schema: CapturePaymentData,
    subject: byOrder,
  }),
  defineMessage({
    type: "VoidPayment",
    topic: commands,
    version: 1,
    schema: VoidPaymentData,
    subject: byOrder,
  }),
  defineMessage({
    type: "RefundPayment",
    topic: commands,
    version: 1,
    schema: RefundPaymentData,
    subject: byOrder,
  }),
  defineMessage({
    type: "PaymentAuthorized",
    topic: replies,
    version: 1,
    schema: PaymentAuthorizedData,
    subject: byOrder,
  }),
  defineMessage({
    type: "PaymentDeclined",
    topic: replies,
    version: 1,
    schema: PaymentDeclinedData,
    subject: byOrder,
  }),
  defineMessage({
    type: "PaymentTimedOut",
    topic: replies,
    version: 1,
    schema: PaymentTimedOutData,
    subject: byOrder,
  }),
  defineMessage({
    type: "PaymentCaptured",
    topic: replies,
    version: 1,
    schema: PaymentCapturedData,
    subject: byOrder,
  }),
  defineMessage({
    type: "PaymentCaptureFailed",
    topic: replies,
    version: 1,
    schema: PaymentCaptureFailedData,
    subject: byOrder,
  }),
  defineMessage({
    type: "PaymentVoided",
    topic: replies,
    version: 1,
    schema: PaymentVoidedData,
    subject: byOrder,
  }),
  defineMessage({
    type: "PaymentRefunded",
    topic: replies,
    version: 1,
    schema: PaymentRefundedData,
    subject: byOrder,
  }),
] as const;
