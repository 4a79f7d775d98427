import { describe, expect, it } from "bun:test";
import { Id } from "@qc/contracts";
import { paymentIdFor } from "./keys";

describe("payment ids", () => {
  it("derives the same valid uuid from the same order, and different ones from different orders", () => {
    const orderId = crypto.randomUUID();
    expect(paymentIdFor(orderId)).toBe(paymentIdFor(orderId));
    expect(paymentIdFor(orderId)).not.toBe(paymentIdFor(crypto.randomUUID()));
    expect(Id.safeParse(paymentIdFor(orderId)).success).toBe(true);
  });
});
