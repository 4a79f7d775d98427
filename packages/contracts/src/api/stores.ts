import { z } from "zod";
import { fromQuery, Id } from "../common";

export const ServiceabilityQuery = z.object({
  lat: fromQuery(z.coerce.number().min(-90).max(90)),
  lng: fromQuery(z.coerce.number().min(-180).max(180)),
});
export type ServiceabilityQuery = z.infer<typeof ServiceabilityQuery>;

export const ServiceableStore = z.object({
  storeId: Id,
  name: z.string(),
  etaMinutes: z.int().nonnegative(),
});
export type ServiceableStore = z.infer<typeof ServiceableStore>;
