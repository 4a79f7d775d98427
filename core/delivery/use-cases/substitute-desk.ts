import type { CompletePickTaskBody, PackedLine } from "@qc/contracts";
import { DownstreamRefusal } from "../../shared/grpc/errors";
import { UpstreamError } from "../../shared/http/client";
import { AppError, conflict } from "../../shared/http/errors";
import type { SubstituteClients } from "../clients/substitutes";
import type { PickTaskRow } from "../db/schema";
import type { CheckedLine, FieldError } from "../domain/picking";

type Problem = { type?: string; errors?: FieldError[] } | null;

/**
 * Prices the substitutes of a checked bag in the task's store and holds their units in the order's reservation,
 * replacing whatever an earlier attempt held (so a task that allows substitutes always sets its hold, even to
 * none; one that does not has none and asks nobody). Pricing and inventory name a refused line `lines.<j>.sku` of the
 * substitutes they were sent; the picker reads it as `lines.<i>.substituteSku` of what they reported.
 */
export function substituteDesk(clients: SubstituteClients) {
  return {
    async settle(
      task: PickTaskRow,
      lines: readonly CheckedLine[],
      reported: CompletePickTaskBody["lines"],
    ): Promise<PackedLine[]> {
      const substituted = lines.filter((line) => line.substitute);
      const wanted = substituted.map((line) => line.substitute as { sku: string; quantity: number });
      const asPacked = ({ sku, quantity, picked }: CheckedLine): PackedLine => ({ sku, quantity, picked });
      if (!task.allow_substitutions) return lines.map(asPacked);
      const renamed = (problem: Problem, message: string): FieldError[] =>
        (problem?.errors ?? []).flatMap(({ path }) => {
          const line = substituted[Number(/^lines\.(\d+)\.sku$/.exec(path)?.[1] ?? -1)];
          const at = reported.findIndex((one) => one.sku === line?.sku);
          return at < 0 ? [] : [{ path: `lines.${at}.substituteSku`, message }];
        });

      const prices = await (wanted.length === 0
        ? Promise.resolve([])
        : clients.unitPrices(task.user_id, task.store_id, wanted)
      ).catch((error) => {
        if (!(error instanceof DownstreamRefusal)) throw error;
        // Pricing's other refusals are about our request, not the picker's: theirs to see as our failure.
        if (error.code !== "unpriceable_lines")
          throw new AppError(502, "pricing_refused", "Pricing refused to price the substitutes");
        const errors = renamed({ errors: error.errors }, "not sold in this store");
        throw new AppError(422, "invalid_pick", "A substitute cannot be sold in this store", errors);
      });
      await clients.hold(task.order_id, { storeId: task.store_id, lines: wanted }).catch((error) => {
        if (!(error instanceof UpstreamError) || error.status !== 409) throw error;
        const problem = error.body as Problem;
        if (!problem?.type?.endsWith("substitute_unavailable"))
          throw conflict("order_not_held", "The order's stock is no longer held; it may have been cancelled");
        const errors = renamed(problem, "not enough available in this store");
        throw new AppError(409, "substitute_unavailable", "A substitute is not available", errors);
      });
      return lines.map((line) => {
        if (!line.substitute) return asPacked(line);
        const unitPriceMinor = prices[substituted.indexOf(line)] ?? 0;
        return { ...line, substitute: { ...line.substitute, unitPriceMinor } };
      });
    },
  };
}

export type SubstituteDesk = ReturnType<typeof substituteDesk>;
