import { z } from "zod";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";
export const VALIDATION_PROBLEM_TYPE = "https://quickcommerce.dev/problems/validation";

export const ProblemFieldError = z.object({ path: z.string(), message: z.string() });
export type ProblemFieldError = z.infer<typeof ProblemFieldError>;

/** RFC 9457 problem details, the body of every error response. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int().min(400).max(599),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(ProblemFieldError).optional(),
});
export type Problem = z.infer<typeof Problem>;

const titles: Record<number, string> = {
  400: "Bad Request",
  422: "Unprocessable Content",
};

function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

/** Turns a zod error into a problem that names every bad field by its dotted path (`lines.0.sku`). */
export function problemFromZodError(error: z.ZodError, status = 400, instance?: string): Problem {
  const errors = error.issues.flatMap((issue): ProblemFieldError[] =>
    // An unknown key is reported once per key so each offending field is named.
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({ path: dotted([...issue.path, key]), message: "unknown field" }))
      : [{ path: dotted(issue.path), message: issue.message }],
  );
  return {
    type: VALIDATION_PROBLEM_TYPE,
    title: titles[status] ?? "Invalid request",
    status,
    detail: `${errors.length} invalid field${errors.length === 1 ? "" : "s"}: ${errors.map((e) => e.path || "(root)").join(", ")}`,
    ...(instance ? { instance } : {}),
    errors,
  };
}
