import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { StockTransferView } from "@qc/contracts";
import type { Kysely } from "kysely";
import { type TestEnvironment, type TestService, testEnvironment } from "../../shared/testing/service";
import type { Database } from "../db/schema";
import { assignStoreShard } from "../db/shards";
import { inventoryService } from "../main";
import { receive } from "../testing/stock-fixture";

const admin = { userId: crypto.randomUUID(), roles: ["admin" as const] };
const from = crypto.randomUUID();
const to = crypto.randomUUID();
const body = { fromStoreId: from, toStoreId: to, sku: "OATS-500G", quantity: 3 };
const headers = () => ({ "idempotency-key": crypto.randomUUID() });

describe("POST /v1/admin/stock-transfers", () => {
  let env: TestEnvironment;
  let inventory: TestService;
  let home: Kysely<Database>;

  beforeAll(async () => {
    env = await testEnvironment({ database: "qc_test_stock_transfer_routes" });
    inventory = await env.start(inventoryService);
    home = env.db<Database>("inventory");
    await assignStoreShard(home, to, "eu2");
    await receive(inventory, from, { "OATS-500G": 10 });
  });
  afterAll(() => env.stop());

  const stockOf = async (storeId: string) => {
    const response = await inventory.call("GET", `/v1/admin/stores/${storeId}/stock`, { user: admin });
    return ((await response.json()) as { items: { onHand: number }[] }).items.map((item) => item.onHand);
  };

  it("moves the units into the other shard's store, once per Idempotency-Key", async () => {
    const key = headers();
    const first = await inventory.call("POST", "/v1/admin/stock-transfers", {
      body,
      headers: key,
      user: admin,
    });
    expect(first.status).toBe(201);
    const transfer = (await first.json()) as StockTransferView;
    expect(transfer).toEqual({ ...body, transferId: expect.any(String), status: "COMMITTED", reason: null });
    const again = await inventory.call("POST", "/v1/admin/stock-transfers", {
      body,
      headers: key,
      user: admin,
    });
    expect(await again.json()).toEqual(transfer);
    expect(await stockOf(from)).toEqual([7]);
    // The destination's row is in the eu2 database, not in the service's own.
    expect(await stockOf(to)).toEqual([3]);
    expect(await home.selectFrom("stock").select("store_id").where("store_id", "=", to).execute()).toEqual(
      [],
    );

    const status = await inventory.call("GET", `/v1/admin/stock-transfers/${transfer.transferId}`, {
      user: admin,
    });
    expect(await status.json()).toEqual(transfer);
  });

  it("answers ABORTED with the reason when the source has too little available", async () => {
    const response = await inventory.call("POST", "/v1/admin/stock-transfers", {
      body: { ...body, quantity: 500 },
      headers: headers(),
      user: admin,
    });
    expect(await response.json()).toMatchObject({ status: "ABORTED", reason: "INSUFFICIENT_STOCK" });
  });

  it("refuses a key reused for another transfer, a missing key, bad fields and non-admins", async () => {
    const key = headers();
    await inventory.call("POST", "/v1/admin/stock-transfers", { body, headers: key, user: admin });
    const reused = await inventory.call("POST", "/v1/admin/stock-transfers", {
      body: { ...body, quantity: 1 },
      headers: key,
      user: admin,
    });
    expect(reused.status).toBe(422);

    const noKey = await inventory.call("POST", "/v1/admin/stock-transfers", { body, user: admin });
    expect(noKey.status).toBe(400);

    const bad = await inventory.call("POST", "/v1/admin/stock-transfers", {
      body: { ...body, quantity: 0, sku: "lower" },
      headers: headers(),
      user: admin,
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await bad.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((error) => error.path).sort()).toEqual(["quantity", "sku"]);

    const sameStore = await inventory.call("POST", "/v1/admin/stock-transfers", {
      body: { ...body, toStoreId: from },
      headers: headers(),
      user: admin,
    });
    expect(sameStore.status).toBe(422);
    expect(((await sameStore.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe("toStoreId");

    const staff = { userId: crypto.randomUUID(), roles: ["store_staff" as const], storeIds: [from, to] };
    const asStaff = await inventory.call("POST", "/v1/admin/stock-transfers", {
      body,
      headers: headers(),
      user: staff,
    });
    expect(asStaff.status).toBe(403);
    expect(
      (await inventory.call("POST", "/v1/admin/stock-transfers", { body, headers: headers() })).status,
    ).toBe(401);
  });
});
