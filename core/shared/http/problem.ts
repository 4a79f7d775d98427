import { Elysia } from "elysia";
import type { Logger } from "../telemetry/logger";
import { AppError } from "./errors";

const PROBLEM = "application/problem+json";

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

const problem = (body: ProblemBody, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status: body.status,
    headers: { ...headers, "content-type": PROBLEM },
  });

interface ValidationIssue {
  path?: string;
  message?: string;
  summary?: string;
}

/**
 * Postgres' "data exception" class (SQLSTATE 22xxx: 22021 invalid byte sequence, 22P02 invalid text
 * representation, 22003 out of range, 22P05 untranslatable character...) means the input could not be
 * stored or compared: the client's fault, so 400, never a 500 that would count against the service.
 */
export function isPostgresInputError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code) && typeof severity === "string";
}

/**
 * Maps every error of a service to an RFC 9457 problem+json response, in one place. A fault of ours (the
 * 500) is logged with its stack: the client learns nothing of it, the operator everything.
 */
export const problemDetails = (logger: Pick<Logger, "error">) =>
  new Elysia().onError({ as: "global" }, ({ code, error, request }) => {
    if (error instanceof AppError) {
      return problem(
        {
          type: `urn:quickcommerce:problem:${error.code}`,
          title: error.message,
          status: error.status,
          ...(error.errors ? { errors: error.errors } : {}),
        },
        error.headers,
      );
    }
    if (isPostgresInputError(error)) {
      return problem({
        type: "urn:quickcommerce:problem:invalid_input",
        title: "The request holds a value that cannot be processed",
        status: 400,
        detail: `invalid input (SQLSTATE ${error.code})`,
      });
    }
    switch (code) {
      case "VALIDATION": {
        const issues = ((error as { all?: ValidationIssue[] }).all ?? []).map((issue) => ({
          path: (issue.path ?? "").replace(/^\//, "").replaceAll("/", "."),
          message: issue.message ?? issue.summary ?? "invalid",
        }));
        return problem({
          type: "urn:quickcommerce:problem:validation",
          title: "The request is not valid",
          status: 400,
          detail: `${(error as { type?: string }).type ?? "input"} failed validation`,
          errors: issues,
        });
      }
      case "PARSE":
        return problem({
          type: "urn:quickcommerce:problem:malformed",
          title: "The body is not valid JSON",
          status: 400,
        });
      case "NOT_FOUND":
        return problem({ type: "urn:quickcommerce:problem:not_found", title: "No such route", status: 404 });
      default:
        logger.error({ err: error, method: request.method, url: request.url }, "request failed");
        return problem({ type: "urn:quickcommerce:problem:internal", title: "Internal error", status: 500 });
    }
  });
