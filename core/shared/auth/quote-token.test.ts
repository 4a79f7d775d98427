import { describe, expect, it } from "bun:test";
import { signQuote, type UnsignedQuote, verifyQuoteToken } from "./quote-token";

const secret = "a-test-secret-of-enough-length";
const unsigned: UnsignedQuote = {
  quoteId: "0190a4f1-0000-7000-8000-000000000001",
  userId: "0190a4f1-0000-7000-8000-000000000002",
  storeId: "0190a4f1-0000-7000-8000-000000000003",
  currency: "INR",
  lines: [{ sku: "MILK-1L", quantity: 2, unitPriceMinor: 3000, discountMinor: 0, lineTotalMinor: 6000 }],
  subtotalMinor: 6000,
  discountMinor: 0,
  deliveryFeeMinor: 1990,
  smallCartFeeMinor: 990,
  surgeFeeMinor: 0,
  totalMinor: 8980,
  couponCode: null,
  expiresAt: "2026-01-01T00:10:00.000Z",
};
const before = new Date("2026-01-01T00:05:00Z");

describe("quote token", () => {
  it("verifies a quote pricing signed and gives it back", () => {
    const quote = signQuote(unsigned, secret);
    expect(verifyQuoteToken(quote.token, secret, before)).toEqual({ valid: true, expired: false, quote });
  });

  it("says a signed quote has expired after expiresAt", () => {
    const quote = signQuote(unsigned, secret);
    expect(verifyQuoteToken(quote.token, secret, new Date("2026-01-01T00:10:00Z"))).toMatchObject({
      valid: true,
      expired: true,
    });
  });

  it("refuses a token whose total was lowered", () => {
    const { token } = signQuote(unsigned, secret);
    const [payload, signature] = token.split(".");
    const altered = JSON.parse(Buffer.from(payload ?? "", "base64url").toString());
    altered.totalMinor = 1;
    const forged = `${Buffer.from(JSON.stringify(altered)).toString("base64url")}.${signature}`;
    expect(verifyQuoteToken(forged, secret, before)).toEqual({ valid: false, expired: false, quote: null });
  });

  it("refuses a token signed with another secret", () => {
    const { token } = signQuote(unsigned, "another-secret-of-enough-length");
    expect(verifyQuoteToken(token, secret, before).valid).toBe(false);
  });

  it("signs the same quote the same way whatever its key order", () => {
    const reordered = Object.fromEntries(Object.entries(unsigned).reverse()) as UnsignedQuote;
    expect(signQuote(reordered, secret).token).toBe(signQuote(unsigned, secret).token);
  });
});
