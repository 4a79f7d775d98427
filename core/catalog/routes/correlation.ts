import { REQUEST_ID_HEADER } from "@qc/contracts";

/** Messages caused by a request carry its request id, so one flow can be followed across services. */
export const correlationOf = (request: Request): string =>
  request.headers.get(REQUEST_ID_HEADER) ?? Bun.randomUUIDv7();
