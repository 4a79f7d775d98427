import { describe, expect, it } from "bun:test";
import { currentSchemaVersion, upcast } from "./upcasters";

describe("event upcasters", () => {
  it("renames the saga's old CREATE_DELIVERY step in steps and details written at version 1", () => {
    expect(upcast("StepRecorded", null, { step: "CREATE_DELIVERY_DONE", detail: null })).toEqual({
      step: "ASSIGN_RIDER_DONE",
      detail: null,
    });
    expect(
      upcast("StepRecorded", 1, { step: "COMMIT_STOCK+CREATE_DELIVERY_TIMED_OUT", detail: null }),
    ).toEqual({
      step: "COMMIT_STOCK+ASSIGN_RIDER_TIMED_OUT",
      detail: null,
    });
    expect(
      upcast("OrderRejected", null, { reason: "NO_RIDER", detail: "CREATE_DELIVERY deadline passed" }),
    ).toEqual({ reason: "NO_RIDER", detail: "ASSIGN_RIDER deadline passed" });
  });

  it("leaves data of today's shape, other names and other types as they are", () => {
    const today = { step: "ASSIGN_RIDER_DONE", detail: null };
    expect(upcast("StepRecorded", currentSchemaVersion("StepRecorded"), today)).toBe(today);
    // A command name is not the step: "CreateDelivery" stays.
    expect(
      upcast("StepRecorded", 1, { step: "COMPENSATING", detail: "CancelDelivery, VoidPayment" }),
    ).toEqual({
      step: "COMPENSATING",
      detail: "CancelDelivery, VoidPayment",
    });
    const placed = { userId: "u" };
    expect(upcast("OrderPlaced", null, placed)).toBe(placed);
    expect([currentSchemaVersion("StepRecorded"), currentSchemaVersion("OrderPlaced")]).toEqual([2, 1]);
  });
});
