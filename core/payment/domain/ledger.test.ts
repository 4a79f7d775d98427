import { describe, expect, it } from "bun:test";
import { type Movement, postingsFor } from "./ledger";

const sum = (movement: Movement, amount: number) =>
  postingsFor(movement, amount).reduce(
    (total, p) => ({ debit: total.debit + p.debitMinor, credit: total.credit + p.creditMinor }),
    { debit: 0, credit: 0 },
  );

describe("ledger postings", () => {
  it("balances every movement", () => {
    for (const movement of ["AUTHORIZE", "CAPTURE", "VOID", "REFUND"] as const) {
      const { debit, credit } = sum(movement, 1234);
      expect(debit).toBe(credit);
      expect(debit).toBeGreaterThan(0);
    }
  });

  it("leaves no hold once an authorization is captured or voided", () => {
    const holds = (movements: Movement[]) =>
      movements
        .flatMap((m) => postingsFor(m, 500))
        .filter((p) => p.account === "card_holds")
        .reduce((balance, p) => balance + p.debitMinor - p.creditMinor, 0);
    expect(holds(["AUTHORIZE"])).toBe(500);
    expect(holds(["AUTHORIZE", "CAPTURE"])).toBe(0);
    expect(holds(["AUTHORIZE", "VOID"])).toBe(0);
  });
});
