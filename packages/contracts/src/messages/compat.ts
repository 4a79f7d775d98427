import type { JsonSchema } from "./json-schema";

export type BreakingChangeKind =
  | "removed_field"
  | "type_changed"
  | "new_required_field"
  | "field_made_optional";
export type BreakingChange = { kind: BreakingChangeKind; path: string; detail: string };

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** What a consumer relies on at a leaf: type, format and constant; patterns and bounds may evolve. */
function leafSignature(schema: JsonSchema): string {
  return JSON.stringify([schema.type ?? null, schema.format ?? null, schema.const ?? null]);
}

function compareEnums(published: JsonSchema, current: JsonSchema, path: string): BreakingChange[] {
  if (!current.enum)
    return published.enum ? [{ kind: "type_changed", path, detail: "enum became open" }] : [];
  if (!published.enum) return [];
  // Consumers cannot handle values they have never seen; dropping values is safe for them.
  const added = current.enum.filter((value) => !published.enum?.some((old) => old === value));
  return added.length ? [{ kind: "type_changed", path, detail: `enum gained ${added.join(", ")}` }] : [];
}

function compareObjects(published: JsonSchema, current: JsonSchema, path: string): BreakingChange[] {
  const changes: BreakingChange[] = [];
  const before = published.properties ?? {};
  const after = current.properties ?? {};
  const requiredBefore = new Set(published.required ?? []);
  const requiredAfter = new Set(current.required ?? []);
  for (const [key, schema] of Object.entries(before)) {
    const field = join(path, key);
    const next = after[key];
    if (!next) {
      changes.push({ kind: "removed_field", path: field, detail: "field was removed" });
      continue;
    }
    if (requiredBefore.has(key) && !requiredAfter.has(key)) {
      changes.push({ kind: "field_made_optional", path: field, detail: "required field became optional" });
    }
    if (!requiredBefore.has(key) && requiredAfter.has(key)) {
      changes.push({ kind: "new_required_field", path: field, detail: "optional field became required" });
    }
    changes.push(...findBreakingChanges(schema, next, field));
  }
  for (const key of Object.keys(after)) {
    if (!(key in before) && requiredAfter.has(key)) {
      changes.push({ kind: "new_required_field", path: join(path, key), detail: "new field is required" });
    }
  }
  return changes;
}

/**
 * Lists the changes from a published schema to the current one that would break a consumer
 * or reject messages already written: removed fields, changed types, newly required fields.
 */
export function findBreakingChanges(published: JsonSchema, current: JsonSchema, path = ""): BreakingChange[] {
  const variantsBefore = published.anyOf ?? published.oneOf;
  const variantsAfter = current.anyOf ?? current.oneOf;
  if (variantsBefore || variantsAfter) {
    if (variantsBefore?.length !== variantsAfter?.length || !variantsBefore || !variantsAfter) {
      return [{ kind: "type_changed", path, detail: "union variants changed" }];
    }
    return variantsBefore.flatMap((variant, index) =>
      findBreakingChanges(variant, variantsAfter[index] ?? {}, path),
    );
  }
  if (leafSignature(published) !== leafSignature(current)) {
    return [
      {
        kind: "type_changed",
        path,
        detail: `${leafSignature(published)} became ${leafSignature(current)}`,
      },
    ];
  }
  const changes = compareEnums(published, current, path);
  if (published.properties || current.properties) changes.push(...compareObjects(published, current, path));
  if (published.items || current.items) {
    changes.push(...findBreakingChanges(published.items ?? {}, current.items ?? {}, join(path, "[]")));
  }
  return changes;
}
