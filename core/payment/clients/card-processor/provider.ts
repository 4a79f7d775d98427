/** What a card processor answered: it did it (with its reference), or refused with a code. */
export type ProviderResult = { ok: true; reference: string } | { ok: false; code: string };

export interface AuthorizeRequest {
  /** Also identifies the authorization in later calls (capture, void, refund). */
  idempotencyKey: string;
  token: string;
  amountMinor: number;
  currency: string;
}

/** A call about an earlier authorization, named by the idempotency key it was created with. */
export interface FollowUpRequest {
  idempotencyKey: string;
  authorizationKey: string;
  amountMinor?: number;
}

/**
 * A card processor. Every call carries an idempotency key: repeating a call with the same key returns the
 * first result and never moves money twice. A call may also never answer in time; the caller passes an
 * AbortSignal and treats the outcome as unknown.
 */
export interface PaymentProvider {
  authorize(request: AuthorizeRequest, signal?: AbortSignal): Promise<ProviderResult>;
  capture(request: FollowUpRequest, signal?: AbortSignal): Promise<ProviderResult>;
  /** Voids an authorization; voiding one the processor never saw blocks it from being authorized later. */
  void(request: FollowUpRequest, signal?: AbortSignal): Promise<ProviderResult>;
  refund(request: FollowUpRequest, signal?: AbortSignal): Promise<ProviderResult>;
}
