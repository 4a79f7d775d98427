import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { ZodError } from "zod";
import { isTransient as isHttpTransient } from "../http/client";
import { AppError } from "../http/errors";

/**
 * A downstream's refusal: the request was wrong (the gRPC status a 4xx maps to), so retrying or breaking the
 * circuit would not help. Carries the callee's own status, code and field errors, as its problem+json did.
 */
export class DownstreamRefusal extends AppError {}

/**
 * Only refusals stay the same when repeated, over gRPC or HTTP (a 4xx): a deadline, an unavailable peer or a
 * crash is worth a retry. One policy can then guard both transports to one peer (order's pricing).
 */
export const isTransient = (error: Error): boolean =>
  !(error instanceof DownstreamRefusal) && isHttpTransient(error);

// The callee's AppError rides in a trailer, so the caller re-raises the same status, code and field errors.
const PROBLEM_TRAILER = "qc-problem-bin";

const GRPC_STATUS_OF_HTTP: Record<number, status> = {
  400: status.INVALID_ARGUMENT,
  401: status.UNAUTHENTICATED,
  403: status.PERMISSION_DENIED,
  404: status.NOT_FOUND,
  409: status.ALREADY_EXISTS,
  422: status.FAILED_PRECONDITION,
  429: status.RESOURCE_EXHAUSTED,
};

interface Problem {
  status: number;
  code: string;
  message: string;
  errors?: { path: string; message: string }[];
}

/** What a handler's failure answers on the wire: a refusal keeps its problem, anything else is INTERNAL. */
export function toServiceError(error: unknown): Partial<ServiceError> {
  const problem: Problem | null =
    error instanceof AppError && error.status < 500
      ? { status: error.status, code: error.code, message: error.message, errors: error.errors }
      : error instanceof ZodError
        ? {
            status: 422,
            code: "validation_failed",
            message: "The request does not match its contract",
            errors: error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
          }
        : null;
  if (!problem) return { code: status.INTERNAL, details: "internal error" };
  const metadata = new Metadata();
  metadata.set(PROBLEM_TRAILER, Buffer.from(JSON.stringify(problem)));
  return {
    code: GRPC_STATUS_OF_HTTP[problem.status] ?? status.FAILED_PRECONDITION,
    details: problem.message,
    metadata,
  };
}

/** The caller's view of a failed call: the callee's refusal re-raised, else the transport's error as is. */
export function fromServiceError(error: ServiceError): Error {
  const trailer = error.metadata?.get(PROBLEM_TRAILER)[0];
  if (!trailer) return error;
  const problem = JSON.parse(Buffer.from(trailer as Buffer).toString("utf8")) as Problem;
  return new DownstreamRefusal(problem.status, problem.code, problem.message, problem.errors);
}
