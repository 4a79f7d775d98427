import { z } from "zod";
import type { MessageDefinition } from "./define";
import { messageDefinitions } from "./registry";

export type JsonSchema = {
  type?: string | string[];
  format?: string;
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  [keyword: string]: unknown;
};

/** The JSON Schema file name of one published message version. */
export function schemaFileName(type: string, version: number): string {
  return `${type}.v${version}.json`;
}

/** JSON Schema of every version of every message, keyed by file name (`OrderPlaced.v1.json`). */
export function messageJsonSchemas(
  definitions: readonly MessageDefinition[] = messageDefinitions,
): Record<string, JsonSchema> {
  const schemas: Record<string, JsonSchema> = {};
  for (const definition of definitions) {
    const versions = [
      ...(definition.legacy ?? []),
      { version: definition.version, schema: definition.schema },
    ];
    for (const { version, schema } of versions) {
      schemas[schemaFileName(definition.type, version)] = z.toJSONSchema(schema, {
        io: "output",
      }) as JsonSchema;
    }
  }
  return schemas;
}
