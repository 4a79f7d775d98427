import type { z } from "zod";
import { AppError } from "../../shared/http/errors";
import type { NamedPolicy } from "../../shared/resilience";

/** A downstream's refusal (4xx): the request was wrong, so retrying or breaking the circuit would not help. */
export class DownstreamRefusal extends AppError {}

export const isTransient = (error: Error) => !(error instanceof DownstreamRefusal);

/** POSTs JSON to another core service's internal route under its policy and parses the answer. */
export async function postJson<S extends z.ZodType>(
  policy: NamedPolicy,
  url: string,
  body: unknown,
  schema: S,
): Promise<z.infer<S>> {
  return policy.execute(async (signal) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal,
    });
    if (response.status >= 400 && response.status < 500) {
      const problem = (await response.json().catch(() => ({}))) as {
        type?: string;
        detail?: string;
        errors?: { path: string; message: string }[];
      };
      const code = problem.type?.split(":").pop() ?? "downstream_refused";
      throw new DownstreamRefusal(
        response.status,
        code,
        problem.detail ?? `${policy.name} refused`,
        problem.errors,
      );
    }
    if (!response.ok) throw new Error(`${policy.name} answered ${response.status}`);
    return schema.parse(await response.json());
  });
}
