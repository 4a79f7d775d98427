import { type Kysely, sql } from "kysely";
import type { Database, ProviderAuthorizationsTable } from "../../db/schema";
import type { AuthorizeRequest, FollowUpRequest, PaymentProvider, ProviderResult } from "./provider";

export interface SimulatorOptions {
  /** Typical answer time, read on every call (so a test can slow the processor down), plus up to a third of it. */
  latencyMs: () => number;
  /** How late `tok_timeout` answers: longer than any caller waits. */
  slowMs: number;
}

type AuthorizationStatus = ProviderAuthorizationsTable["status"];
type Operation = "authorize" | "capture" | "void" | "refund";

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

const refused = (code: string): ProviderResult => ({ ok: false, code });
const reference = () => `sim_${Bun.randomUUIDv7()}`;

/** What each test token does at authorization, like a real processor's test cards. */
function outcomeOf(token: string): { status: AuthorizationStatus; code?: string } {
  if (token === "tok_visa" || token === "tok_timeout") return { status: "AUTHORIZED" };
  if (token === "tok_declined") return { status: "DECLINED", code: "card_declined" };
  return { status: "DECLINED", code: "invalid_token" };
}

/** Which authorization state a follow-up call needs, and where it leaves it. */
const followUps: Record<
  Exclude<Operation, "authorize">,
  { from: AuthorizationStatus[]; to: AuthorizationStatus }
> = {
  capture: { from: ["AUTHORIZED"], to: "CAPTURED" },
  void: { from: ["AUTHORIZED"], to: "VOIDED" },
  refund: { from: ["CAPTURED"], to: "REFUNDED" },
};

/**
 * A local card processor with its own records (the provider_* tables, reached over its own pool as if it
 * were another company's system). It remembers every idempotency key and answers a repeat with the first
 * result. `tok_timeout` is authorized at once but answered only after `slowMs` (the answer is lost, the
 * charge is not), which is exactly the case that must be voided.
 */
export function createSimulatedProvider(db: Kysely<Database>, options: SimulatorOptions): PaymentProvider {
  const wait = (signal?: AbortSignal) => {
    const latency = options.latencyMs();
    return sleep(latency + (Math.random() * latency) / 3, signal);
  };

  /** The result the processor gave the first time it saw an idempotency key. */
  const firstResult = async (db: Kysely<Database>, key: string): Promise<ProviderResult> => {
    const first = await db
      .selectFrom("provider_operations")
      .select("result")
      .where("idempotency_key", "=", key)
      .executeTakeFirstOrThrow();
    return first.result;
  };

  /** Runs one operation once per idempotency key, in the processor's own transaction. */
  const once = (
    operation: Operation,
    key: string,
    authorizationKey: string,
    perform: (trx: Kysely<Database>) => Promise<ProviderResult>,
  ) =>
    db.transaction().execute(async (trx) => {
      const claimed = await trx
        .insertInto("provider_operations")
        .values({ idempotency_key: key, operation, authorization_key: authorizationKey, result: "{}" })
        .onConflict((oc) => oc.column("idempotency_key").doNothing())
        .returning("idempotency_key")
        .executeTakeFirst();
      if (!claimed) return firstResult(trx, key);
      const result = await perform(trx);
      await trx
        .updateTable("provider_operations")
        .set({ result: JSON.stringify(result) })
        .where("idempotency_key", "=", key)
        .execute();
      return result;
    });

  const lockAuthorization = (trx: Kysely<Database>, key: string) =>
    trx
      .selectFrom("provider_authorizations")
      .selectAll()
      .where("authorization_key", "=", key)
      .forUpdate()
      .executeTakeFirst();

  const followUp =
    (operation: Exclude<Operation, "authorize">) =>
    async (request: FollowUpRequest, signal?: AbortSignal) => {
      await wait(signal);
      return once(operation, request.idempotencyKey, request.authorizationKey, async (trx) => {
        const authorization = await lockAuthorization(trx, request.authorizationKey);
        if (!authorization) {
          if (operation !== "void") return refused("no_such_authorization");
          // Voiding what we never saw blocks a late authorization with that key.
          await trx
            .insertInto("provider_authorizations")
            .values({
              authorization_key: request.authorizationKey,
              reference: reference(),
              amount_minor: 0,
              currency: "XXX",
              status: "VOIDED",
            })
            .execute();
          return { ok: true, reference: reference() };
        }
        const { from, to } = followUps[operation];
        if (operation === "void" && authorization.status === "VOIDED")
          return { ok: true, reference: reference() };
        if (!from.includes(authorization.status))
          return refused(`authorization_${authorization.status.toLowerCase()}`);
        if ((request.amountMinor ?? 0) > authorization.amount_minor)
          return refused("amount_exceeds_authorization");
        await trx
          .updateTable("provider_authorizations")
          .set({ status: to })
          .where("authorization_key", "=", request.authorizationKey)
          .execute();
        return { ok: true, reference: reference() };
      });
    };

  /**
   * An authorization in one statement, as a processor's single write would be: the operation is claimed
   * with its result decided (refused when the key already has an authorization, e.g. one voided before it
   * arrived) and the authorization recorded only when the claim succeeded. A repeat of the key claims
   * nothing and reads the first answer. Should a void of the same key commit meanwhile, the authorization's
   * primary key fails the statement: an error, so the caller treats the outcome as unknown and voids.
   */
  const authorizeOnce = async (request: AuthorizeRequest): Promise<ProviderResult> => {
    const { status, code } = outcomeOf(request.token);
    const ref = reference();
    const result: ProviderResult = code ? refused(code) : { ok: true, reference: ref };
    const key = request.idempotencyKey;
    const { rows } = await sql<{ result: ProviderResult }>`
      with earlier as (
        select status from provider_authorizations where authorization_key = ${key}
      ), claimed as (
        insert into provider_operations (idempotency_key, operation, authorization_key, result)
        select ${key}::text, 'authorize', ${key}::text, coalesce(
          (select jsonb_build_object('ok', false, 'code', 'authorization_' || lower(status)) from earlier),
          ${JSON.stringify(result)}::jsonb)
        on conflict (idempotency_key) do nothing
        returning result
      ), recorded as (
        insert into provider_authorizations (authorization_key, reference, token, amount_minor, currency, status)
        select ${key}::text, ${ref}::text, ${request.token}::text, ${request.amountMinor}::bigint,
          ${request.currency}::text, ${status}::text
        where exists (select from claimed) and not exists (select from earlier)
      )
      select result from claimed`.execute(db);
    return rows[0]?.result ?? firstResult(db, key);
  };

  return {
    async authorize(request, signal) {
      await wait(signal);
      const result = await authorizeOnce(request);
      // Every answer about a tok_timeout authorization is late, retries included.
      if (request.token === "tok_timeout") await sleep(options.slowMs, signal);
      return result;
    },
    capture: followUp("capture"),
    void: followUp("void"),
    refund: followUp("refund"),
  };
}
