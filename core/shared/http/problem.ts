import { Elysia } from "elysia";
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

/** Maps every error of a service to an RFC 9457 problem+json response, in one place. */
export const problemDetails = new Elysia({ name: "problem-details" }).onError(
  { as: "global" },
  ({ code, error }) => {
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
        return problem({ type: "urn:quickcommerce:problem:internal", title: "Internal error", status: 500 });
    }
  },
);
