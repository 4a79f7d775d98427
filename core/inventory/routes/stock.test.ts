import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Availability } from "@qc/contracts";
import { Inventory } from "@qc/contracts/grpc/services";
import { closeGrpcClients, type GrpcCaller, grpcClient } from "../../shared/grpc/client";
import { type TestEnvironment, type TestService, testEnvironment } from "../../shared/testing/service";
import { inventoryService } from "../main";

const storeId = crypto.randomUUID();
const staff = { userId: crypto.randomUUID(), roles: ["store_staff" as const], storeIds: [storeId] };

describe("stock administration", () => {
  let env: TestEnvironment;
  let inventory: TestService;
  const path = `/v1/admin/stores/${storeId}/stock/EGGS-12`;

  beforeAll(async () => {
    env = await testEnvironment({ database: "qc_test_saga_participants" });
    inventory = await env.start(inventoryService);
  });
  afterAll(() => env.stop());

  it("lets store staff and admins receive stock, and shows it", async () => {
    const received = await inventory.call("PUT", path, { body: { onHand: 12 }, user: staff });
    expect(received.status).toBe(200);
    expect(await received.json()).toEqual({
      storeId,
      sku: "EGGS-12",
      onHand: 12,
      reserved: 0,
      available: 12,
    });
    const admin = { userId: crypto.randomUUID(), roles: ["admin" as const] };
    expect((await inventory.call("PUT", path, { body: { onHand: 15 }, user: admin })).status).toBe(200);
    const list = await inventory.call("GET", `/v1/admin/stores/${storeId}/stock`, { user: staff });
    expect(await list.json()).toEqual({
      items: [{ storeId, sku: "EGGS-12", onHand: 15, reserved: 0, available: 15 }],
    });
  });

  it("refuses shoppers, riders and anonymous callers", async () => {
    const shopper = { userId: crypto.randomUUID(), roles: ["shopper" as const] };
    const rider = { userId: crypto.randomUUID(), roles: ["rider" as const] };
    expect((await inventory.call("PUT", path, { body: { onHand: 1 }, user: shopper })).status).toBe(403);
    expect((await inventory.call("PUT", path, { body: { onHand: 1 }, user: rider })).status).toBe(403);
    expect((await inventory.call("PUT", path, { body: { onHand: 1 } })).status).toBe(401);
  });

  it("refuses staff of another store (issue 11, item 5)", async () => {
    const elsewhere = { ...staff, storeIds: [crypto.randomUUID()] };
    expect((await inventory.call("PUT", path, { body: { onHand: 99 }, user: elsewhere })).status).toBe(403);
    expect(
      (await inventory.call("GET", `/v1/admin/stores/${storeId}/stock`, { user: elsewhere })).status,
    ).toBe(403);
    const storeless = { userId: crypto.randomUUID(), roles: ["store_staff" as const] };
    expect((await inventory.call("PUT", path, { body: { onHand: 99 }, user: storeless })).status).toBe(403);
  });

  it("names the field of a bad count", async () => {
    const response = await inventory.call("PUT", path, { body: { onHand: -3 }, user: staff });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await response.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((error) => error.path)).toContain("onHand");
  });

  it("will not count stock below what orders hold (422)", async () => {
    await inventory.ctx.db
      .updateTable("stock" as never)
      .set({ reserved: 10 } as never)
      .where("store_id" as never, "=", storeId as never)
      .execute();
    const response = await inventory.call("PUT", path, { body: { onHand: 9 }, user: staff });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe("onHand");
  });

  it("answers availability to other services over gRPC, 0 for SKUs the store does not stock", async () => {
    const body = { storeId, skus: ["EGGS-12", "NOPE-1"] };
    const forgedKey = { ...inventory.ctx.config, SERVICE_AUTH_SECRET: "a-secret-nobody-in-core-has" };
    const forger = { name: "cart" as const, config: forgedKey };
    const cart = { name: "cart" as const, config: inventory.ctx.config };
    const availability = (caller: GrpcCaller) =>
      grpcClient(caller, { callee: "inventory", service: Inventory }, { deadlineMs: 1_000 }).call(
        "getAvailability",
        body,
        Availability,
      );
    const refused = await availability(forger).catch((error) => error);
    const answered = await availability(cart);
    closeGrpcClients(forger);
    closeGrpcClients(cart);
    expect(refused).toMatchObject({ status: 401 });
    expect(answered).toEqual({
      storeId,
      items: [
        { sku: "EGGS-12", available: 5 },
        { sku: "NOPE-1", available: 0 },
      ],
    });
  });
});
