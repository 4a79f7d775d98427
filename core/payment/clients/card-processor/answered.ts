import type { PaymentProvider, ProviderResult } from "./provider";

/** Processor answers obtained before the transaction, by idempotency key. */
export type Answers = Map<string, ProviderResult>;

/**
 * The provider as a use-case sees it inside its transaction: a call whose idempotency key was already
 * answered before the transaction (see the consumer's prepare phase) returns that answer without a second
 * round trip; any other call goes through (the processor would answer a repeat the same way anyway).
 */
export function answeredFirst(provider: PaymentProvider, answers: Answers): PaymentProvider {
  const known =
    (call: keyof PaymentProvider) =>
    // biome-ignore lint/suspicious/noExplicitAny: every call takes a request with an idempotency key
    async (request: any, signal?: AbortSignal): Promise<ProviderResult> =>
      answers.get(request.idempotencyKey) ?? provider[call](request, signal);
  return {
    authorize: known("authorize"),
    capture: known("capture"),
    void: known("void"),
    refund: known("refund"),
  };
}

/** The provider recording every answer it gives into `answers` (the prepare phase). */
export function recording(provider: PaymentProvider, answers: Answers): PaymentProvider {
  const record =
    (call: keyof PaymentProvider) =>
    // biome-ignore lint/suspicious/noExplicitAny: every call takes a request with an idempotency key
    async (request: any, signal?: AbortSignal): Promise<ProviderResult> => {
      const result = await provider[call](request, signal);
      answers.set(request.idempotencyKey, result);
      return result;
    };
  return {
    authorize: record("authorize"),
    capture: record("capture"),
    void: record("void"),
    refund: record("refund"),
  };
}
