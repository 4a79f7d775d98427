import type { Metadata } from "@grpc/grpc-js";
import {
  SERVICE_NAME_HEADER,
  SERVICE_SIGNATURE_HEADER,
  SERVICE_TIMESTAMP_HEADER,
  type ServiceName,
} from "@qc/contracts";
import { verifyRequest } from "../auth/signing";
import type { Config } from "../config";
import { unauthorized } from "../http/errors";
import { serviceAuthHeaders, serviceKey } from "../http/service-auth";

// gRPC calls are signed exactly like internal HTTP calls: HMAC with the caller→callee key over the method's
// path (`/qc.pricing.v1.Pricing/QuoteCart`), the time and the request's bytes, so the gRPC port is no way
// around service authentication and a signature cannot be moved to another method or body.
const NAME = SERVICE_NAME_HEADER.toLowerCase();
const TIMESTAMP = SERVICE_TIMESTAMP_HEADER.toLowerCase();
const SIGNATURE = SERVICE_SIGNATURE_HEADER.toLowerCase();
const SIGNED_METHOD = "POST";

/** Adds `caller`'s signature of this call to `callee` to the call's metadata. */
export async function signCall(
  metadata: Metadata,
  config: Config,
  call: { caller: string; callee: ServiceName; path: string; body: Uint8Array },
): Promise<void> {
  const headers = await serviceAuthHeaders(config, call.caller, call.callee, {
    method: SIGNED_METHOD,
    path: call.path,
    body: call.body,
  });
  for (const [name, value] of Object.entries(headers)) metadata.set(name.toLowerCase(), value);
}

const first = (metadata: Metadata, key: string) => {
  const value = metadata.get(key)[0];
  return typeof value === "string" ? value : null;
};

/** The calling service, once its signature over this call checks out; a 401 AppError otherwise. */
export async function verifyCall(
  config: Config,
  callee: ServiceName,
  call: { path: string; metadata: Metadata; body: Uint8Array },
): Promise<string> {
  const caller = first(call.metadata, NAME);
  if (!caller || !/^[a-z]{2,32}$/.test(caller)) throw unauthorized("service signature missing");
  const verdict = await verifyRequest({
    secret: await serviceKey(config, caller, callee),
    method: SIGNED_METHOD,
    path: call.path,
    timestamp: first(call.metadata, TIMESTAMP),
    signature: first(call.metadata, SIGNATURE),
    body: call.body,
    userId: caller,
    now: Date.now(),
    maxSkewMs: config.EDGE_SIGNATURE_MAX_SKEW_MS,
  });
  if (!verdict.ok) throw unauthorized(`service signature ${verdict.reason.replace("_", " ")}`);
  return caller;
}
