import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { type BreakingChangeKind, findBreakingChanges } from "./compat";
import { type JsonSchema, messageJsonSchemas } from "./json-schema";

const schemasDirectory = join(import.meta.dir, "..", "..", "schemas");
const published = Object.fromEntries(
  readdirSync(schemasDirectory).map((file) => [
    file,
    JSON.parse(readFileSync(join(schemasDirectory, file), "utf8")) as JsonSchema,
  ]),
);
const current = messageJsonSchemas();

const toJson = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "output" }) as JsonSchema;
const kinds = (before: z.ZodType, after: z.ZodType): BreakingChangeKind[] =>
  findBreakingChanges(toJson(before), toJson(after)).map((change) => change.kind);

describe("published message schemas", () => {
  it("exist for every registered message version (run scripts/export-schemas.ts)", () => {
    expect(Object.keys(published).sort()).toEqual(Object.keys(current).sort());
  });

  it("are still honoured by the current schemas", () => {
    const breaking = Object.entries(published).flatMap(([file, schema]) =>
      current[file] ? findBreakingChanges(schema, current[file]).map((change) => ({ file, ...change })) : [],
    );
    expect(breaking).toEqual([]);
  });
});

describe("findBreakingChanges", () => {
  const Money = z.object({ amountMinor: z.int(), currency: z.string() });
  const Base = z.object({ orderId: z.uuid(), amount: Money, note: z.string().optional() });

  it("allows adding an optional field", () => {
    expect(kinds(Base, Base.extend({ coupon: z.string().optional() }))).toEqual([]);
  });

  it("reports a removed field, also inside nested objects", () => {
    expect(kinds(Base, Base.omit({ orderId: true }))).toEqual(["removed_field"]);
    const changes = findBreakingChanges(
      toJson(Base),
      toJson(Base.extend({ amount: Money.omit({ currency: true }) })),
    );
    expect(changes.map((change) => [change.kind, change.path])).toEqual([
      ["removed_field", "amount.currency"],
    ]);
  });

  it("reports a field whose type changed", () => {
    expect(kinds(Base, Base.extend({ orderId: z.int() }))).toEqual(["type_changed"]);
    expect(kinds(Base, Base.extend({ amount: z.int() }))).toContain("type_changed");
    expect(kinds(Base, Base.extend({ orderId: z.uuid().nullable() }))).toEqual(["type_changed"]);
  });

  it("reports a new required field and an optional field made required", () => {
    expect(kinds(Base, Base.extend({ storeId: z.uuid() }))).toEqual(["new_required_field"]);
    expect(kinds(Base, Base.extend({ note: z.string() }))).toEqual(["new_required_field"]);
  });

  it("reports a required field made optional", () => {
    expect(kinds(Base, Base.extend({ orderId: z.uuid().optional() }))).toEqual(["field_made_optional"]);
  });

  it("reports new enum values but allows dropping some", () => {
    const Status = z.object({ status: z.enum(["A", "B"]) });
    expect(kinds(Status, z.object({ status: z.enum(["A", "B", "C"]) }))).toEqual(["type_changed"]);
    expect(kinds(Status, z.object({ status: z.enum(["A"]) }))).toEqual([]);
  });

  it("looks inside array items", () => {
    const Lines = z.object({ lines: z.array(z.object({ sku: z.string(), quantity: z.int() })) });
    const changes = findBreakingChanges(
      toJson(Lines),
      toJson(z.object({ lines: z.array(z.object({ sku: z.string(), quantity: z.string() })) })),
    );
    expect(changes.map((change) => [change.kind, change.path])).toEqual([
      ["type_changed", "lines.[].quantity"],
    ]);
  });

  it("catches a breaking edit to a committed schema", () => {
    const committed = published["OrderRejected.v1.json"] as JsonSchema;
    const { detail: _removed, ...properties } = committed.properties ?? {};
    const edited = {
      ...committed,
      properties,
      required: committed.required?.filter((key) => key !== "detail"),
    };
    expect(findBreakingChanges(committed, edited).map((change) => change.path)).toEqual(["detail"]);
  });
});
