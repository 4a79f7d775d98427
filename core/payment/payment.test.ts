import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from "bun:test";
import { createMessage, type LedgerBalance } from "@qc/contracts";
import type { Kysely } from "kysely";
import { OneByOne } from "../shared/consumer/one-by-one";
import { transact } from "../shared/db/transaction";
import { awaitOutbox, outboxOf, publish } from "../shared/testing/messages";
import { type TestEnvironment, type TestService, testEnvironment } from "../shared/testing/service";
import { connectProvider } from "./clients/card-processor/connect";
import type { Database } from "./db/schema";
import { idempotencyKey, paymentIdFor } from "./domain/keys";
import { paymentService } from "./main";
import {
  expectFreshAuthorizations,
  recordAuthorization,
  requestAuthorization,
} from "./use-cases/authorize-payment";

// A fresh consumer group joins the shared broker first, which can take seconds on a busy machine.
setDefaultTimeout(30_000);

const amount = { amountMinor: 24_900, currency: "INR" };

describe("payment answering the saga's commands over Kafka", () => {
  let env: TestEnvironment;
  let payment: TestService;
  let db: Kysely<Database>;

  beforeAll(async () => {
    env = await testEnvironment({
      database: "qc_test_saga_participants",
      env: {
        PAYMENT_PROVIDER_TIMEOUT_MS: "300",
        PAYMENT_PROVIDER_LATENCY_MS: "5",
        PAYMENT_PROVIDER_RETRIES: "1",
      },
    });
    payment = await env.start(paymentService);
    db = env.db<Database>("payment");
    // One round trip, so every test starts with the consumer in its group.
    const warmUp = crypto.randomUUID();
    await publish(payment, "VoidPayment", { orderId: warmUp, paymentId: paymentIdFor(warmUp) });
    await awaitOutbox(db, warmUp, "PaymentVoided", { timeoutMs: 25_000 });
  });
  afterAll(() => env.stop());

  const authorize = async (token: string) => {
    const orderId = crypto.randomUUID();
    await publish(payment, "AuthorizePayment", { orderId, amount, token });
    return orderId;
  };
  const answer = async (orderId: string) => {
    for (let i = 0; i < 300; i++) {
      const [first] = await outboxOf(db, orderId);
      if (first) return first;
      await Bun.sleep(50);
    }
    throw new Error(`no answer for ${orderId}`);
  };
  const processorStatus = (paymentId: string) =>
    db
      .selectFrom("provider_authorizations")
      .select("status")
      .where("authorization_key", "=", idempotencyKey("authorize", paymentId))
      .executeTakeFirst();

  it("authorizes a good card and books the hold", async () => {
    const orderId = await authorize("tok_visa");
    const reply = await answer(orderId);
    expect(reply.type).toBe("PaymentAuthorized");
    expect(reply.data).toEqual({ orderId, paymentId: paymentIdFor(orderId), amount });
    expect(await processorStatus(paymentIdFor(orderId))).toEqual({ status: "AUTHORIZED" });
    const hold = await db
      .selectFrom("ledger_entries")
      .select(["account", "debit_minor", "credit_minor"])
      .where("payment_id", "=", paymentIdFor(orderId))
      .orderBy("id")
      .execute();
    expect(hold).toEqual([
      { account: "card_holds", debit_minor: 24_900, credit_minor: 0 },
      { account: "held_for_orders", debit_minor: 0, credit_minor: 24_900 },
    ]);
  });

  it("answers a declined card with the decline code and books nothing", async () => {
    const orderId = await authorize("tok_declined");
    const reply = await answer(orderId);
    expect(reply).toMatchObject({ type: "PaymentDeclined", data: { orderId, reason: "card_declined" } });
    const entries = await db
      .selectFrom("ledger_entries")
      .select("id")
      .where("payment_id", "=", paymentIdFor(orderId))
      .execute();
    expect(entries).toHaveLength(0);
  });

  it("voids an authorization the processor answered too late, so nothing stays authorized", async () => {
    const orderId = await authorize("tok_timeout");
    const reply = await answer(orderId);
    expect(reply).toMatchObject({
      type: "PaymentTimedOut",
      data: { orderId, paymentId: paymentIdFor(orderId) },
    });
    expect(await processorStatus(paymentIdFor(orderId))).toEqual({ status: "VOIDED" });
    const intent = await db
      .selectFrom("payment_intents")
      .select("status")
      .where("order_id", "=", orderId)
      .executeTakeFirst();
    expect(intent).toEqual({ status: "FAILED" });

    await publish(payment, "VoidPayment", { orderId, paymentId: paymentIdFor(orderId) });
    await awaitOutbox(db, orderId, "PaymentVoided");
    expect(await processorStatus(paymentIdFor(orderId))).toEqual({ status: "VOIDED" });
  });

  it("never holds twice when the authorization is retried after a crash before commit", async () => {
    const orderId = crypto.randomUUID();
    const command = createMessage(
      "AuthorizePayment",
      { orderId, amount, token: "tok_visa" },
      { source: "test", correlationId: orderId },
    );
    const processor = connectProvider(payment.ctx as never);
    try {
      // The first run reaches the processor, then its transaction dies before commit.
      await expect(
        db.transaction().execute(async (trx) => {
          await recordAuthorization(trx, command, await requestAuthorization(command, processor.provider));
          throw new Error("crash before commit");
        }),
      ).rejects.toThrow("crash before commit");
      const outcome = await requestAuthorization(command, processor.provider);
      await db.transaction().execute((trx) => recordAuthorization(trx, command, outcome));
      // A repeat once it is recorded (no lookup before the processor): the processor's first answer, and the
      // recorded intent's state as the reply.
      const repeat = { ...command, id: Bun.randomUUIDv7() };
      const again = await requestAuthorization(repeat, processor.provider);
      await db.transaction().execute((trx) => recordAuthorization(trx, repeat, again));
    } finally {
      await processor.stop();
    }
    const operations = await db
      .selectFrom("provider_operations")
      .select("result")
      .where("authorization_key", "=", idempotencyKey("authorize", paymentIdFor(orderId)))
      .execute();
    expect(operations).toHaveLength(1);
    const replies = await outboxOf(db, orderId, "PaymentAuthorized");
    expect(replies).toHaveLength(2);
    for (const reply of replies) expect(reply.data).toMatchObject({ paymentId: paymentIdFor(orderId) });
    expect(
      await db.selectFrom("payment_intents").select("status").where("order_id", "=", orderId).execute(),
    ).toEqual([{ status: "AUTHORIZED" }]);
    const intent = await db
      .selectFrom("payment_intents")
      .select("provider_reference")
      .where("order_id", "=", orderId)
      .executeTakeFirstOrThrow();
    expect(intent.provider_reference).toBe(
      (operations[0]?.result as { reference?: string } | undefined)?.reference ?? "missing",
    );
  });

  it("records a batch's fresh authorizations without a look-up, and hands a batch with a repeat back one by one", async () => {
    const command = (orderId: string = crypto.randomUUID()) =>
      createMessage(
        "AuthorizePayment",
        { orderId, amount, token: "tok_visa" },
        { source: "test", correlationId: orderId },
      );
    const processor = connectProvider(payment.ctx as never);
    const asBatch = (batch: ReturnType<typeof command>[]) =>
      transact(db, async (trx) => {
        await expectFreshAuthorizations(trx, batch);
        for (const one of batch)
          await recordAuthorization(trx, one, await requestAuthorization(one, processor.provider));
      });
    try {
      const fresh = [command(), command()];
      await asBatch(fresh);
      for (const { data } of fresh)
        expect(await outboxOf(db, data.orderId, "PaymentAuthorized")).toHaveLength(1);
      // A repeat for a recorded order (a new message id) beside a fresh one: the batch is refused whole...
      const repeat = command(fresh[0]?.data.orderId);
      const next = command();
      await expect(asBatch([repeat, next])).rejects.toBeInstanceOf(OneByOne);
      expect(await outboxOf(db, next.data.orderId)).toHaveLength(0);
      // ...and one by one the repeat answers the recorded state, the fresh one is authorized.
      for (const one of [repeat, next]) await asBatch([one]);
      expect(await outboxOf(db, repeat.data.orderId, "PaymentAuthorized")).toHaveLength(2);
      expect(await outboxOf(db, next.data.orderId, "PaymentAuthorized")).toHaveLength(1);
    } finally {
      await processor.stop();
    }
  });

  it("the simulated processor answers a repeated or concurrent authorization with its first answer", async () => {
    const processor = connectProvider(payment.ctx as never);
    const request = (key: string, token = "tok_visa") => ({ idempotencyKey: key, token, ...amount });
    const authorizations = (key: string) =>
      db.selectFrom("provider_authorizations").selectAll().where("authorization_key", "=", key).execute();
    try {
      const key = `authorize:${crypto.randomUUID()}`;
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => processor.provider.authorize(request(key))),
      );
      expect(answers[0]).toMatchObject({ ok: true });
      expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
      expect(await processor.provider.authorize(request(key))).toEqual(answers[0] as never);
      expect(await authorizations(key)).toMatchObject([{ status: "AUTHORIZED", amount_minor: 24_900 }]);

      const declined = `authorize:${crypto.randomUUID()}`;
      expect(await processor.provider.authorize(request(declined, "tok_declined"))).toEqual({
        ok: false,
        code: "card_declined",
      });
      expect(await authorizations(declined)).toMatchObject([{ status: "DECLINED" }]);

      // A void that arrived first blocks the authorization under its key.
      const voidedFirst = `authorize:${crypto.randomUUID()}`;
      await processor.provider.void({ idempotencyKey: `void:${voidedFirst}`, authorizationKey: voidedFirst });
      expect(await processor.provider.authorize(request(voidedFirst))).toEqual({
        ok: false,
        code: "authorization_voided",
      });
      expect(await authorizations(voidedFirst)).toMatchObject([{ status: "VOIDED", amount_minor: 0 }]);
    } finally {
      await processor.stop();
    }
  });

  it("captures an authorization once, however often CapturePayment arrives", async () => {
    const orderId = await authorize("tok_visa");
    const paymentId = paymentIdFor(orderId);
    await awaitOutbox(db, orderId, "PaymentAuthorized");
    const capture = { orderId, paymentId, amount };
    const first = await publish(payment, "CapturePayment", capture);
    await publish(payment, "CapturePayment", capture, { id: first.id });
    await publish(payment, "CapturePayment", capture);
    await awaitOutbox(db, orderId, "PaymentCaptured", { count: 2 });
    await Bun.sleep(300);
    expect(await outboxOf(db, orderId, "PaymentCaptured")).toHaveLength(2);
    const captures = await db
      .selectFrom("payment_captures")
      .selectAll()
      .where("payment_id", "=", paymentId)
      .execute();
    expect(captures).toHaveLength(1);
    const captureTxns = await db
      .selectFrom("ledger_entries")
      .select("txn_id")
      .distinct()
      .where("payment_id", "=", paymentId)
      .where("movement", "=", "CAPTURE")
      .execute();
    expect(captureTxns).toHaveLength(1);
    expect(await processorStatus(paymentId)).toEqual({ status: "CAPTURED" });
  });

  it("refuses to capture a voided payment", async () => {
    const orderId = await authorize("tok_visa");
    const paymentId = paymentIdFor(orderId);
    await awaitOutbox(db, orderId, "PaymentAuthorized");
    await publish(payment, "VoidPayment", { orderId, paymentId });
    await publish(payment, "CapturePayment", { orderId, paymentId, amount });
    const [refused] = await awaitOutbox(db, orderId, "PaymentCaptureFailed");
    expect(refused?.data).toEqual({ orderId, paymentId, reason: "payment_voided" });
    expect(await outboxOf(db, orderId, "PaymentVoided")).toHaveLength(1);
    expect(await processorStatus(paymentId)).toEqual({ status: "VOIDED" });
    expect(
      await db.selectFrom("payment_captures").selectAll().where("payment_id", "=", paymentId).execute(),
    ).toHaveLength(0);
  });

  it("answers a void that overtook its authorization, and the late authorization holds nothing", async () => {
    const orderId = crypto.randomUUID();
    const paymentId = paymentIdFor(orderId);
    await publish(payment, "VoidPayment", { orderId, paymentId });
    await awaitOutbox(db, orderId, "PaymentVoided");
    await publish(payment, "AuthorizePayment", { orderId, paymentId, amount, token: "tok_visa" });
    await awaitOutbox(db, orderId, "PaymentVoided", { count: 2 });
    expect(await outboxOf(db, orderId, "PaymentAuthorized")).toHaveLength(0);
    expect(await processorStatus(paymentId)).toEqual({ status: "VOIDED" });
  });

  it("refunds a captured payment once", async () => {
    const orderId = await authorize("tok_visa");
    const paymentId = paymentIdFor(orderId);
    await awaitOutbox(db, orderId, "PaymentAuthorized");
    await publish(payment, "CapturePayment", { orderId, paymentId, amount });
    await awaitOutbox(db, orderId, "PaymentCaptured");
    await publish(payment, "RefundPayment", { orderId, paymentId, amount, reason: "damaged" });
    await publish(payment, "RefundPayment", { orderId, paymentId, amount, reason: "damaged" });
    await awaitOutbox(db, orderId, "PaymentRefunded", { count: 2 });
    expect(await processorStatus(paymentId)).toEqual({ status: "REFUNDED" });
    const refunds = await db
      .selectFrom("ledger_entries")
      .select("txn_id")
      .distinct()
      .where("payment_id", "=", paymentId)
      .where("movement", "=", "REFUND")
      .execute();
    expect(refunds).toHaveLength(1);
  });

  it("keeps the ledger balanced after the mixed run, holding exactly what is still authorized", async () => {
    const response = await payment.call("GET", "/internal/v1/ledger/balance");
    const balance = (await response.json()) as LedgerBalance;
    expect(balance.balanced).toBe(true);
    expect(balance.unbalancedTransactions).toBe(0);
    expect(balance.debitMinor).toBe(balance.creditMinor);
    const stillAuthorized = await db
      .selectFrom("payment_intents")
      .select("amount_minor")
      .where("status", "=", "AUTHORIZED")
      .execute();
    const held = stillAuthorized.reduce((total, intent) => total + (intent.amount_minor ?? 0), 0);
    expect(balance.accounts.find((a) => a.account === "card_holds")?.balanceMinor ?? 0).toBe(held);
  });

  it("refuses an unbalanced ledger transaction at commit", async () => {
    const txnId = crypto.randomUUID();
    const entry = { txn_id: txnId, payment_id: crypto.randomUUID(), movement: "AUTHORIZE", currency: "INR" };
    await expect(
      db
        .insertInto("ledger_entries")
        .values({ ...entry, account: "card_holds", debit_minor: 100, credit_minor: 0 })
        .execute(),
    ).rejects.toThrow(/does not balance/);
  });
});
