import {
  create,
  type DescField,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
  ScalarType,
} from "@bufbuild/protobuf";
import type { z } from "zod";

// A proto message mirrors a zod contract field for field (same names in camelCase): the zod schema stays the
// one source of the rules (formats, bounds), the proto the wire shape. These helpers cross between the two
// and tell where a message has drifted from its contract.

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; element?: z.ZodType };
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schema under optional/nullable/default/pipe wrappers, and whether an absent value is allowed or null. */
function unwrap(schema: z.ZodType): { core: z.ZodType; optional: boolean; nullable: boolean } {
  let core = schema;
  let optional = false;
  let nullable = false;
  for (;;) {
    const def = defOf(core);
    if (def.type === "optional" || def.type === "default") optional = true;
    else if (def.type === "nullable") nullable = true;
    else if (def.type !== "pipe" && def.type !== "readonly") return { core, optional, nullable };
    core = (def.type === "pipe" ? def.in : def.innerType) as z.ZodType;
  }
}

/** A zod value made fit for `create`: nulls dropped (proto has no null, an absent field is the same). */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).flatMap(([key, field]) => (field === null ? [] : [[key, withoutNulls(field)]])),
  );
}

/** The proto message of a value that satisfies the zod contract it mirrors. */
export function toProto<Desc extends DescMessage>(desc: Desc, value: unknown): MessageShape<Desc> {
  return create(desc, withoutNulls(value) as MessageInitShape<Desc>);
}

/** A proto message read back as its zod contract: absent nullable fields become null, int64s numbers. */
function asContract(schema: z.ZodType, value: unknown): unknown {
  const { core, nullable } = unwrap(schema);
  if (value === undefined) return nullable ? null : undefined;
  if (typeof value === "bigint") return Number(value);
  const def = defOf(core);
  if (def.type === "array" && Array.isArray(value))
    return value.map((item) => asContract(def.element as z.ZodType, item));
  if (def.type === "object" && value && typeof value === "object") {
    const shape = (core as z.ZodObject).shape;
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(shape).map(([key, field]) => [key, asContract(field as z.ZodType, record[key])]),
    );
  }
  return value;
}

/**
 * The contract's value of a proto message, validated by the contract: a message from the wire meets the same
 * rules as a JSON body would (throws the ZodError otherwise).
 */
export function fromProto<S extends z.ZodType>(schema: S, message: unknown): z.output<S> {
  return schema.parse(asContract(schema, message));
}

const INTEGERS = new Set([
  ScalarType.INT32,
  ScalarType.INT64,
  ScalarType.UINT32,
  ScalarType.UINT64,
  ScalarType.SINT32,
  ScalarType.SINT64,
  ScalarType.FIXED32,
  ScalarType.FIXED64,
  ScalarType.SFIXED32,
  ScalarType.SFIXED64,
]);

/** What a zod leaf needs of the proto scalar it mirrors. */
function scalarFits(schema: z.ZodType, scalar: ScalarType): boolean {
  const def = defOf(schema);
  if (def.type === "string" || def.type === "enum") return scalar === ScalarType.STRING;
  if (def.type === "boolean") return scalar === ScalarType.BOOL;
  if (def.type === "number")
    return (schema as z.ZodNumber).isInt
      ? INTEGERS.has(scalar)
      : scalar === ScalarType.DOUBLE || scalar === ScalarType.FLOAT;
  return false;
}

/** How one proto field differs from the zod field it mirrors (empty when they agree). */
function fieldDrift(path: string, field: DescField, schema: z.ZodType): string[] {
  const { core, optional, nullable } = unwrap(schema);
  const def = defOf(core);
  if (field.fieldKind === "list") {
    if (def.type !== "array") return [`${path}: repeated in proto, ${def.type} in zod`];
    const element = unwrap(def.element as z.ZodType).core;
    if (field.listKind === "message") return messageDrift(path, field.message, element);
    if (field.listKind === "scalar" && !scalarFits(element, field.scalar))
      return [
        `${path}: repeated ${ScalarType[field.scalar]} in proto, array of ${defOf(element).type} in zod`,
      ];
    return [];
  }
  if (field.fieldKind === "message") return messageDrift(path, field.message, core);
  if (field.fieldKind !== "scalar") return [`${path}: ${field.fieldKind} fields have no zod mirror`];
  const problems: string[] = [];
  if (!scalarFits(core, field.scalar))
    problems.push(`${path}: ${ScalarType[field.scalar]} in proto, ${def.type} in zod`);
  // proto3 `optional` is the only way a scalar can be absent: it must match zod's optional or nullable.
  const mayBeAbsent = field.presence === 1;
  if (mayBeAbsent !== (optional || nullable))
    problems.push(`${path}: ${mayBeAbsent ? "optional" : "required"} in proto, not in zod`);
  return problems;
}

/**
 * Where a proto message and the zod object it mirrors disagree: a field only one of them has, a type that
 * cannot carry the other's values, or a scalar that one lets be absent and the other does not.
 */
export function messageDrift(path: string, desc: DescMessage, schema: z.ZodType): string[] {
  const core = unwrap(schema).core;
  if (defOf(core).type !== "object") return [`${path}: message in proto, ${defOf(core).type} in zod`];
  const shape = (core as z.ZodObject).shape as Record<string, z.ZodType>;
  const problems: string[] = [];
  for (const field of desc.fields) {
    const mirrored = shape[field.localName];
    if (mirrored) problems.push(...fieldDrift(`${path}.${field.localName}`, field, mirrored));
    else problems.push(`${path}.${field.localName}: in proto, not in zod`);
  }
  for (const name of Object.keys(shape))
    if (!desc.fields.some((field) => field.localName === name))
      problems.push(`${path}.${name}: in zod, not in proto`);
  return problems;
}
