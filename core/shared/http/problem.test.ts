import { afterAll, describe, expect, it } from "bun:test";
import { Elysia } from "elysia";
import pg from "pg";
import { createLogger } from "../telemetry/logger";
import { problemDetails } from "./problem";

// A real Postgres error for each input, as a route would meet it.
const pool = new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres", max: 1 });
afterAll(() => pool.end());

const app = new Elysia()
  .use(problemDetails(createLogger("problem-test", "silent")))
  .get("/uuid/:value", async ({ params }) => (await pool.query("select $1::uuid as id", [params.value])).rows)
  .get(
    "/text/:value",
    async ({ params }) =>
      (await pool.query("select $1::text as value", [decodeURIComponent(params.value)])).rows,
  )
  .get("/broken", async () => (await pool.query("select * from no_such_table")).rows);

const get = (path: string) => app.handle(new Request(`http://core${path}`));

describe("Postgres input errors (issue 11, item 1)", () => {
  it("answer 400 problem+json for a value Postgres cannot read (22P02) or store (22021)", async () => {
    for (const path of ["/uuid/not-a-uuid", "/text/a%00b"]) {
      const response = await get(path);
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const body = (await response.json()) as { type: string; detail: string };
      expect(body.type).toBe("urn:quickcommerce:problem:invalid_input");
      expect(body.detail).toMatch(/SQLSTATE 22/);
    }
  });

  it("still answer 500 for a fault of ours", async () => {
    expect((await get("/broken")).status).toBe(500);
  });
});
