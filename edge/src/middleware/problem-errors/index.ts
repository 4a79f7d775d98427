import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../env";
import { ProblemError, problem, problemResponse } from "../../errors";

export interface ProblemErrorsOptions {
  /** Where unexpected errors are reported; they reach the client only as a bare 500. */
  report?: (error: unknown, c: Context<AppEnv>) => void;
}

function toProblemError(error: unknown): ProblemError | null {
  if (error instanceof ProblemError) return error;
  if (error instanceof HTTPException) {
    const code = error.status === 413 ? "payload-too-large" : error.status < 500 ? "bad-request" : "internal";
    return problem(error.status as ContentfulStatusCode, code, error.message || undefined);
  }
  return null;
}

/** The one place errors become RFC 9457 problem+json: `app.onError(handler)` and `app.notFound(notFound)`. */
export function problemErrors(options: ProblemErrorsOptions = {}): {
  onError: ErrorHandler<AppEnv>;
  notFound: NotFoundHandler<AppEnv>;
} {
  const report =
    options.report ??
    ((error, c) =>
      console.error(
        JSON.stringify({
          level: "error",
          requestId: c.get("requestId"),
          error: String(error),
          stack: (error as Error)?.stack,
        }),
      ));
  return {
    onError: function problemErrorHandler(error, c) {
      const known = toProblemError(error);
      if (!known) report(error, c);
      const { problem: body, headers } =
        known ?? problem(500, "internal", "Something went wrong at the edge");
      return problemResponse({ ...body, instance: c.req.path }, headers);
    },
    notFound: function problemNotFound(c) {
      return problemResponse({
        ...problem(404, "not-found", `No route for ${c.req.method} ${c.req.path}`).problem,
      });
    },
  };
}
