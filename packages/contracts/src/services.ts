/** The core services, each owning a Postgres schema and serving its own public paths (edge and core agree). */
export const serviceNames = [
  "auth",
  "catalog",
  "pricing",
  "cart",
  "inventory",
  "order",
  "payment",
  "delivery",
] as const;
export type ServiceName = (typeof serviceNames)[number];
