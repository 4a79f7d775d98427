import { LedgerBalance } from "@qc/contracts";
import { Elysia } from "elysia";
import type { ServiceContext } from "../../shared/runtime/context";
import { ledgerBalance } from "../db/ledger-repository";
import type { Database } from "../db/schema";

/** The ledger's balance, for the saga tests and operators: debits must equal credits. */
export const ledgerRoutes = (ctx: ServiceContext<Database>) =>
  new Elysia().get("/internal/v1/ledger/balance", () => ledgerBalance(ctx.db), { response: LedgerBalance });
