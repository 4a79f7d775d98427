import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";

/** The vendored schemas (deploy/schemas/README.md: where each comes from, and how to refresh them). */
export const schemaDir = resolve(import.meta.dir, "../../deploy/schemas");

type Schema = { [key: string]: unknown };

const intOrString = { anyOf: [{ type: "integer" }, { type: "string" }] };
const quantity = { anyOf: [{ type: "number" }, { type: "string" }] };

const isMap = (value: unknown): value is Schema =>
  value !== null && typeof value === "object" && !Array.isArray(value);
const eachSchema = (schemas: Schema): Schema =>
  Object.fromEntries(Object.entries(schemas).map(([key, value]) => [key, asServerChecks(value)]));

/**
 * What the API server accepts, as plain JSON Schema: int-or-string fields take both, and an object that lists
 * its properties takes no others unless it preserves unknown fields (the API server would drop or refuse them;
 * kubeconform's "strict" does the same), so a misspelt field fails here instead of vanishing in the cluster.
 */
function asServerChecks(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(asServerChecks);
  if (schema === null || typeof schema !== "object") return schema;
  const node = schema as Schema;
  if (node["x-kubernetes-int-or-string"] === true) return intOrString;
  const out: Schema = {};
  // Under `properties` the keys are field names, each with its schema, not keywords.
  for (const [key, value] of Object.entries(node))
    out[key] = key === "properties" && isMap(value) ? eachSchema(value) : asServerChecks(value);
  if (isMap(node.properties) && node.additionalProperties === undefined) {
    if (node["x-kubernetes-preserve-unknown-fields"] !== true) out.additionalProperties = false;
  }
  return out;
}

interface KubernetesSchemas {
  kinds: Record<string, string>;
  definitions: Schema;
}
interface CrdSchema {
  apiVersion: string;
  kind: string;
  schema: Schema;
}

/** Validators of every kind the vendored schemas know, by `apiVersion/kind`. */
export function loadValidators(): Map<string, ValidateFunction> {
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  const validators = new Map<string, ValidateFunction>();
  const kubernetes = JSON.parse(
    readFileSync(join(schemaDir, "kubernetes.json"), "utf8"),
  ) as KubernetesSchemas;
  const definitions = eachSchema(kubernetes.definitions);
  definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = intOrString;
  definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"] = quantity;
  ajv.addSchema({ $id: "kubernetes", definitions });
  for (const [kind, definition] of Object.entries(kubernetes.kinds)) {
    const validate = ajv.getSchema(`kubernetes#/definitions/${definition}`);
    if (!validate) throw new Error(`no schema for ${kind}`);
    validators.set(kind, validate);
  }
  for (const file of readdirSync(join(schemaDir, "crds"))) {
    const crd = JSON.parse(readFileSync(join(schemaDir, "crds", file), "utf8")) as CrdSchema;
    validators.set(`${crd.apiVersion}/${crd.kind}`, ajv.compile(asServerChecks(crd.schema) as Schema));
  }
  return validators;
}

/** Problems of one object against its kind's schema (an unknown kind is one). */
export function schemaProblems(
  validators: Map<string, ValidateFunction>,
  object: { apiVersion?: string; kind?: string; metadata?: { name?: string } },
): string[] {
  const key = `${object.apiVersion}/${object.kind}`;
  const name = `${object.kind}/${object.metadata?.name}`;
  const validate = validators.get(key);
  if (!validate) return [`${name}: no schema for ${key}`];
  if (validate(object)) return [];
  return (validate.errors ?? []).map(
    (error) => `${name}: ${error.instancePath || "/"} ${error.message} ${JSON.stringify(error.params)}`,
  );
}
