import { describe, expect, it } from "bun:test";
import { causedBy, Envelope } from "./envelope";
import { createMessage, InvalidMessageError } from "./registry";

const orderId = "0190a6e0-0000-7000-8000-000000000001";
const storeId = "0190a6e0-0000-7000-8000-000000000002";
const lines = [{ sku: "MILK-1L", quantity: 2 }];

describe("createMessage", () => {
  it("fills id, version, subject and occurredAt and passes envelope validation", () => {
    const message = createMessage(
      "StockReserved",
      { orderId, storeId, lines, expiresAt: "2030-01-01T00:00:00.000Z" },
      { source: "inventory", correlationId: orderId },
    );
    expect(message.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(message.version).toBe(1);
    expect(message.subject).toBe(orderId);
    expect(message.causationId).toBeNull();
    expect(Date.parse(message.occurredAt)).toBeGreaterThan(Date.now() - 5_000);
    expect(Envelope.safeParse(message).success).toBe(true);
  });

  it("gives successive messages ids that sort by creation time", () => {
    const meta = { source: "cart", correlationId: "c-1" };
    const ids = Array.from(
      { length: 50 },
      () => createMessage("CartCleared", { userId: orderId, storeId }, meta).id,
    );
    expect([...ids].sort()).toEqual(ids);
  });

  it("rejects data that does not match the type's schema", () => {
    const bad = { orderId, storeId, lines: [{ sku: "milk", quantity: 0 }] };
    // @ts-expect-error the compiler rejects this data too
    const create = () => createMessage("ReserveStock", bad, { source: "order", correlationId: orderId });
    expect(create).toThrow(InvalidMessageError);
  });

  it("carries correlation and trace from the message that caused it", () => {
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const parent = createMessage(
      "OrderCancelled",
      { orderId, userId: orderId, storeId, reason: "CANCELLED_BY_SHOPPER" },
      { source: "order", correlationId: "corr-1", traceparent },
    );
    const child = createMessage("ReleaseStock", { orderId, storeId, lines }, causedBy(parent, "order"));
    expect(child.correlationId).toBe("corr-1");
    expect(child.causationId).toBe(parent.id);
    expect(child.traceparent).toBe(traceparent);
  });
});

describe("Envelope", () => {
  it("names each missing or malformed envelope field", () => {
    const result = Envelope.safeParse({ id: "not-a-uuid", type: "lowercase", version: 0, data: {} });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join(".")).sort();
    expect(paths).toEqual(
      [
        "causationId",
        "correlationId",
        "id",
        "occurredAt",
        "source",
        "subject",
        "traceparent",
        "type",
        "version",
      ].sort(),
    );
  });

  it("rejects a UUID that is not version 7", () => {
    const result = Envelope.shape.id.safeParse("f47ac10b-58cc-4372-a567-0e02b2c3d479");
    expect(result.success).toBe(false);
  });
});
