/** The money movements of a payment, each one balanced ledger transaction. */
export type Movement = "AUTHORIZE" | "CAPTURE" | "VOID" | "REFUND";

export interface Posting {
  account: Account;
  debitMinor: number;
  creditMinor: number;
}

/**
 * Accounts: `card_holds` is money held on shoppers' cards, `held_for_orders` what we owe back unless it is
 * captured; `provider_receivable` is captured money the processor will settle to us, `sales` what we earned.
 */
export type Account = "card_holds" | "held_for_orders" | "provider_receivable" | "sales";

const move = (debit: Account, credit: Account, amountMinor: number): Posting[] => [
  { account: debit, debitMinor: amountMinor, creditMinor: 0 },
  { account: credit, debitMinor: 0, creditMinor: amountMinor },
];

/** The postings of one movement; debits equal credits by construction. */
export function postingsFor(movement: Movement, amountMinor: number): Posting[] {
  switch (movement) {
    case "AUTHORIZE":
      return move("card_holds", "held_for_orders", amountMinor);
    case "VOID":
      return move("held_for_orders", "card_holds", amountMinor);
    case "CAPTURE":
      // The hold is lifted and the money becomes ours, receivable from the processor.
      return [
        ...move("held_for_orders", "card_holds", amountMinor),
        ...move("provider_receivable", "sales", amountMinor),
      ];
    case "REFUND":
      return move("sales", "provider_receivable", amountMinor);
  }
}
