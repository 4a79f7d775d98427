import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { z } from "zod";
import { generateProto } from "../../scripts/generate-proto";
import { Availability, AvailabilityRequest, CartLines, Quote, QuoteRequest } from "../api/internal";
import { RiderPosition, RiderUpdate } from "../api/rider-tracking";
import { Line } from "../common";
import { fromProto, messageDrift, toProto } from "./mirror";
import {
  AvailabilityRequestSchema,
  AvailabilitySchema,
  CartLinesSchema,
  CartRefSchema,
  LineSchema,
  QuoteRequestSchema,
  QuoteSchema,
  RiderPositionSchema,
  RiderUpdateSchema,
} from "./services";

const generated = join(import.meta.dir, "gen");
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();

/** Each proto message and the zod contract it mirrors. */
const mirrors = [
  [LineSchema, Line],
  [QuoteRequestSchema, QuoteRequest],
  [QuoteSchema, Quote],
  [CartRefSchema, CartLines.pick({ userId: true, storeId: true })],
  [CartLinesSchema, CartLines],
  [AvailabilityRequestSchema, AvailabilityRequest],
  [AvailabilitySchema, Availability],
  [RiderPositionSchema, RiderPosition],
  [RiderUpdateSchema, RiderUpdate],
] as const;

const quote: Quote = {
  quoteId: "0195f2a8-7c4b-7000-8000-000000000001",
  userId: "0195f2a8-7c4b-7000-8000-000000000002",
  storeId: "0195f2a8-7c4b-7000-8000-000000000003",
  currency: "INR",
  lines: [{ sku: "TEA-100", quantity: 2, unitPriceMinor: 4900, discountMinor: 0, lineTotalMinor: 9800 }],
  subtotalMinor: 9800,
  discountMinor: 0,
  deliveryFeeMinor: 1990,
  smallCartFeeMinor: 990,
  surgeFeeMinor: 0,
  totalMinor: 12_780,
  couponCode: null,
  expiresAt: "2026-12-05T17:00:00.000Z",
  token: "signed",
};

describe("the gRPC contracts", () => {
  it("generated TypeScript matches the .proto files (run `npm run proto` after editing one)", async () => {
    const fresh = join(tmpdir(), `qc-proto-${crypto.randomUUID()}`);
    await generateProto(fresh);
    const freshGen = join(fresh, "src/grpc/gen");
    expect(filesUnder(generated)).toEqual(filesUnder(freshGen));
    for (const file of filesUnder(freshGen))
      expect({ file, text: readFileSync(join(generated, file), "utf8") }).toEqual({
        file,
        text: readFileSync(join(freshGen, file), "utf8"),
      });
  }, 30_000);

  it("every proto message carries exactly the fields of the zod contract it mirrors", () => {
    for (const [desc, schema] of mirrors)
      expect({ message: desc.typeName, drift: messageDrift(desc.typeName, desc, schema) }).toEqual({
        message: desc.typeName,
        drift: [],
      });
  });

  it("names a field added, retyped or made optional on one side only", () => {
    const drifted = Quote.extend({
      tipMinor: z.int(),
      token: z.int(),
      currency: z.string().optional(),
    }).omit({ surgeFeeMinor: true });
    expect(messageDrift("Quote", QuoteSchema, drifted).sort()).toEqual([
      "Quote.currency: required in proto, not in zod",
      "Quote.surgeFeeMinor: in proto, not in zod",
      "Quote.tipMinor: in zod, not in proto",
      "Quote.token: STRING in proto, number in zod",
    ]);
  });

  it("a contract value crosses the wire and reads back equal, its nulls and int64s included", () => {
    const bytes = toBinary(QuoteSchema, toProto(QuoteSchema, quote));
    expect(fromProto(Quote, fromBinary(QuoteSchema, bytes))).toEqual(quote);
  });

  it("a message from the wire meets the contract's rules", () => {
    const bytes = toBinary(CartRefSchema, toProto(CartRefSchema, { userId: "not-a-uuid", storeId: "x" }));
    expect(() =>
      fromProto(CartLines.pick({ userId: true, storeId: true }), fromBinary(CartRefSchema, bytes)),
    ).toThrow();
  });
});
