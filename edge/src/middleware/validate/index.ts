import { problemFromZodError } from "@qc/contracts";
import { validator } from "hono/validator";
import type { z } from "zod";
import { ProblemError } from "../../errors";

/**
 * Parses the body, query, path params or headers with a contracts schema. A bad one is 400 problem+json naming
 * every bad field and the request never reaches core; the parsed value is `c.req.valid(target)`.
 */
export function validate<Target extends "json" | "query" | "param" | "header", Schema extends z.ZodType>(
  target: Target,
  schema: Schema,
) {
  return validator(target, (value, c): z.output<Schema> => {
    const result = schema.safeParse(value);
    if (!result.success) throw new ProblemError(problemFromZodError(result.error, 400, c.req.path));
    return result.data;
  });
}
