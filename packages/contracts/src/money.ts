import { z } from "zod";

/** ISO 4217 alphabetic currency code, e.g. `INR`. */
export const Currency = z.string().regex(/^[A-Z]{3}$/, "expected a 3-letter ISO 4217 currency code");
export type Currency = z.infer<typeof Currency>;

/** An amount in the currency's minor unit (paise, cents); never a float. */
export const AmountMinor = z.int().nonnegative();
export type AmountMinor = z.infer<typeof AmountMinor>;

/** Money as integer minor units plus currency. */
export const Money = z.object({ amountMinor: AmountMinor, currency: Currency });
export type Money = z.infer<typeof Money>;
