import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { edge, env } from "../../../test/helpers";
import type { AppEnv } from "../../env";
import { problem } from "../../errors";
import { problemErrors } from ".";

describe("problemErrors", () => {
  it("turns a thrown problem into RFC 9457 problem+json with its headers", async () => {
    const { onError } = problemErrors();
    const app = new Hono<AppEnv>().onError(onError).get("/", () => {
      throw problem(429, "rate-limited", "slow down", { "retry-after": "3" });
    });
    const response = await app.fetch(new Request("http://edge.test/"), env);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3");
    expect(await response.json()).toEqual({
      type: "https://quickcommerce.dev/problems/rate-limited",
      title: "Too Many Requests",
      status: 429,
      detail: "slow down",
      instance: "/",
    });
  });

  it("hides unexpected errors behind a bare 500 and reports them", async () => {
    const reported: unknown[] = [];
    const { onError } = problemErrors({ report: (error) => reported.push(error) });
    const app = new Hono<AppEnv>().onError(onError).get("/", () => {
      throw new Error("database password is hunter2");
    });
    const response = await app.fetch(new Request("http://edge.test/"), env);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain("hunter2");
    expect(reported).toHaveLength(1);
  });

  it("answers unknown routes with 404 problem+json", async () => {
    const response = await edge("/v2/anything");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});
