import { describe, expect, it } from "bun:test";
import { z } from "zod";
import { PlaceOrderBody } from "./api/orders";
import { Problem, problemFromZodError } from "./problem";

describe("problemFromZodError", () => {
  it("names every bad field by its dotted path", () => {
    const result = PlaceOrderBody.safeParse({
      storeId: "nope",
      address: { line1: "", lat: 91, lng: 0 },
      payment: {},
    });
    if (result.success) throw new Error("expected a validation error");
    const problem = problemFromZodError(result.error);
    expect(Problem.parse(problem)).toEqual(problem);
    expect(problem.status).toBe(400);
    expect(problem.errors?.map((error) => error.path).sort()).toEqual(
      ["address.lat", "address.line1", "payment.token", "storeId"].sort(),
    );
    expect(problem.errors?.every((error) => error.message.length > 0)).toBe(true);
    expect(problem.detail).toContain("address.lat");
  });

  it("names array elements and each unknown key", () => {
    const schema = z.strictObject({ lines: z.array(z.object({ quantity: z.int() })) });
    const result = schema.safeParse({ lines: [{ quantity: 1 }, { quantity: "2" }], extra: 1, other: 2 });
    if (result.success) throw new Error("expected a validation error");
    const problem = problemFromZodError(result.error, 422);
    expect(problem.status).toBe(422);
    expect(problem.errors?.map((error) => error.path).sort()).toEqual(["extra", "lines.1.quantity", "other"]);
  });
});
