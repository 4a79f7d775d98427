import { PROBLEM_CONTENT_TYPE, type Problem } from "@qc/contracts";

export type ProblemCode =
  | "bad-request"
  | "unauthorized"
  | "forbidden"
  | "not-found"
  | "payload-too-large"
  | "rate-limited"
  | "rate-limiter-unavailable"
  | "core-unavailable"
  | "core-timeout"
  | "internal";

const titles: Record<ProblemCode, string> = {
  "bad-request": "Bad Request",
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  "not-found": "Not Found",
  "payload-too-large": "Payload Too Large",
  "rate-limited": "Too Many Requests",
  "rate-limiter-unavailable": "Service Unavailable",
  "core-unavailable": "Service Unavailable",
  "core-timeout": "Gateway Timeout",
  internal: "Internal Server Error",
};

/** An error that carries its problem+json body; the one `onError` turns it into the response. */
export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail ?? problem.title);
  }
}

/** A ProblemError with a status and a string-literal code (`rate-limited`). */
export function problem(
  status: number,
  code: ProblemCode,
  detail?: string,
  headers?: Record<string, string>,
): ProblemError {
  return new ProblemError(
    {
      type: `https://quickcommerce.dev/problems/${code}`,
      title: titles[code],
      status,
      ...(detail ? { detail } : {}),
    },
    headers,
  );
}

/** Serialises a problem with the problem+json media type. */
export function problemResponse(body: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { ...headers, "content-type": PROBLEM_CONTENT_TYPE },
  });
}
