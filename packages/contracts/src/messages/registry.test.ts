import { describe, expect, it } from "bun:test";
import { z } from "zod";
import { topics } from "../topics";
import { defineMessage } from "./define";
import { newMessageId } from "./envelope";
import { createRegistry, InvalidMessageError, messageDefinitions, parseMessage, topicOf } from "./registry";

const orderId = "0190a6e0-0000-7000-8000-000000000001";
const paymentId = "0190a6e0-0000-7000-8000-000000000003";

function envelope(overrides: Record<string, unknown>) {
  return {
    id: newMessageId(),
    type: "PaymentAuthorized",
    version: 1,
    source: "payment",
    subject: orderId,
    correlationId: orderId,
    causationId: null,
    traceparent: null,
    occurredAt: new Date().toISOString(),
    data: { orderId, paymentId, amount: { amountMinor: 12_345, currency: "INR" } },
    ...overrides,
  };
}

function rejection(raw: unknown): InvalidMessageError {
  try {
    parseMessage(raw);
  } catch (error) {
    if (error instanceof InvalidMessageError) return error;
    throw error;
  }
  throw new Error("message was accepted");
}

describe("parseMessage", () => {
  it("accepts a valid message after a JSON round trip and narrows it by type", () => {
    const message = parseMessage(JSON.parse(JSON.stringify(envelope({}))));
    expect(message.type).toBe("PaymentAuthorized");
    if (message.type !== "PaymentAuthorized") throw new Error("unreachable");
    expect(message.data.amount.amountMinor).toBe(12_345);
  });

  it("rejects an unknown type", () => {
    expect(rejection(envelope({ type: "OrderTeleported" })).reason).toBe("unknown_type");
  });

  it("rejects a broken envelope", () => {
    expect(rejection({ ...envelope({}), correlationId: undefined }).reason).toBe("invalid_envelope");
    expect(rejection("not an object").reason).toBe("invalid_envelope");
  });

  it("rejects data that breaks the schema and lists the issues", () => {
    const error = rejection(
      envelope({ data: { orderId, paymentId, amount: { amountMinor: 1.5, currency: "INR" } } }),
    );
    expect(error.reason).toBe("invalid_data");
    expect(error.issues.map((issue) => issue.path.join("."))).toEqual(["amount.amountMinor"]);
  });

  it("rejects a version newer than any it knows", () => {
    expect(rejection(envelope({ version: 2 })).reason).toBe("unknown_version");
  });
});

describe("upcasting", () => {
  const V1 = z.object({ orderId: z.string(), amountMinor: z.int() });
  const V2 = z.object({
    orderId: z.string(),
    amount: z.object({ amountMinor: z.int(), currency: z.string() }),
  });
  const V3 = V2.extend({ note: z.string().nullable() });
  const registry = createRegistry([
    defineMessage({
      type: "PaymentSettled",
      topic: "payment.replies.v1",
      version: 3,
      schema: V3,
      subject: (data) => data.orderId,
      legacy: [
        {
          version: 1,
          schema: V1,
          upcast: (v1: z.infer<typeof V1>) => ({
            orderId: v1.orderId,
            amount: { amountMinor: v1.amountMinor, currency: "INR" },
          }),
        },
        { version: 2, schema: V2, upcast: (v2: z.infer<typeof V2>) => ({ ...v2, note: null }) },
      ],
    }),
  ]);
  const raw = (version: number, data: unknown) => ({
    ...envelope({}),
    type: "PaymentSettled",
    version,
    data,
  });

  it("lifts a v1 message through v2 to the latest version", () => {
    const message = registry.parseMessage(raw(1, { orderId, amountMinor: 500 }));
    expect(message.version).toBe(3);
    expect(message.data).toEqual({ orderId, amount: { amountMinor: 500, currency: "INR" }, note: null });
  });

  it("validates old data against its own version before upcasting", () => {
    expect(() => registry.parseMessage(raw(1, { orderId, amount: 500 }))).toThrow(/v1/);
  });

  it("creates new messages at the latest version", () => {
    const message = registry.createMessage(
      "PaymentSettled",
      { orderId, amount: { amountMinor: 1, currency: "INR" }, note: "ok" },
      { source: "payment", correlationId: orderId },
    );
    expect(message.version).toBe(3);
    expect(registry.latestVersion("PaymentSettled")).toBe(3);
  });

  it("refuses a version with no upcaster", () => {
    const gap = createRegistry([{ ...registry.definitions[0], legacy: [] }]);
    expect(() => gap.parseMessage(raw(2, { orderId, amount: { amountMinor: 1, currency: "INR" } }))).toThrow(
      /no upcaster/,
    );
  });

  it("refuses to register a type twice", () => {
    expect(() => createRegistry([registry.definitions[0], registry.definitions[0]])).toThrow(/twice/);
  });
});

describe("the QuickCommerce registry", () => {
  it("puts every message on a declared topic whose kind matches its name", () => {
    const commands = new Set(
      messageDefinitions.filter((definition) => definition.topic.includes(".commands.")).map((d) => d.type),
    );
    for (const definition of messageDefinitions) expect(topics).toHaveProperty([definition.topic]);
    expect(commands).toEqual(
      new Set([
        "ReserveStock",
        "CommitStock",
        "ReleaseStock",
        "AuthorizePayment",
        "CapturePayment",
        "VoidPayment",
        "RefundPayment",
        "CreateDelivery",
        "CancelDelivery",
      ]),
    );
    expect(topicOf("StockLevelChanged")).toBe("inventory.events.v1");
  });
});
