import { createHmac, timingSafeEqual } from "node:crypto";
import type { Quote, QuoteVerdict } from "@qc/contracts";

// Pricing signs its quotes; order checks the quote a cart kept before charging it (PRICING_QUOTE_SECRET).

export type UnsignedQuote = Omit<Quote, "token">;

/** JSON with object keys sorted at every level, so one quote has exactly one text to sign. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const mac = (payload: string, secret: string) => createHmac("sha256", secret).update(payload).digest();

/**
 * Signs a quote: the token is `<base64url canonical JSON>.<base64url HMAC-SHA256>`, so it carries the
 * quote itself and anyone holding the secret can check it without a lookup.
 */
export function signQuote(quote: UnsignedQuote, secret: string): Quote {
  const payload = Buffer.from(canonicalJson(quote)).toString("base64url");
  return { ...quote, token: `${payload}.${mac(payload, secret).toString("base64url")}` };
}

/** Checks a token's signature and expiry; a forged or altered token yields no quote. */
export function verifyQuoteToken(token: string, secret: string, now: Date): QuoteVerdict {
  const invalid: QuoteVerdict = { valid: false, expired: false, quote: null };
  const [payload, signature, ...rest] = token.split(".");
  if (!payload || !signature || rest.length > 0) return invalid;
  const expected = mac(payload, secret);
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return invalid;
  const quote = { ...(JSON.parse(Buffer.from(payload, "base64url").toString()) as UnsignedQuote), token };
  return { valid: true, expired: Date.parse(quote.expiresAt) <= now.getTime(), quote };
}
