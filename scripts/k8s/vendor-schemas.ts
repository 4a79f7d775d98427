import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { schemaDir } from "./schemas";

/**
 * Refreshes the schemas the offline manifest test validates against (deploy/schemas/), from files taken out
 * of the upstream projects at a release (deploy/schemas/README.md says which):
 *
 *   bun scripts/k8s/vendor-schemas.ts --kubernetes swagger.json --crd 040-Crd-kafka.yaml --crd ... \
 *     --workflow github-workflow.json
 *
 * Only what the manifests use is kept: the Kubernetes definitions reachable from the kinds below and each
 * CRD's stored version, without descriptions (they are most of the bytes and validate nothing).
 */
const root = resolve(import.meta.dir, "../..");

/** The built-in kinds the manifests may contain, by apiVersion/kind. */
const kubernetesKinds = [
  "v1/ConfigMap",
  "v1/Namespace",
  "v1/Service",
  "v1/ServiceAccount",
  "apps/v1/Deployment",
  "apps/v1/StatefulSet",
  "batch/v1/Job",
  "policy/v1/PodDisruptionBudget",
  "autoscaling/v2/HorizontalPodAutoscaler",
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const withoutDescriptions = (value: Json): Json => {
  if (Array.isArray(value)) return value.map(withoutDescriptions);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "description")
      .map(([key, inner]) => [key, withoutDescriptions(inner)]),
  );
};

const refsIn = (value: Json, into: Set<string>): Set<string> => {
  if (Array.isArray(value)) for (const item of value) refsIn(item, into);
  else if (value !== null && typeof value === "object")
    for (const [key, inner] of Object.entries(value)) {
      if (key === "$ref" && typeof inner === "string") into.add(inner.replace("#/definitions/", ""));
      else refsIn(inner, into);
    }
  return into;
};

/** Kubernetes' swagger (v2) cut down to the definitions the kinds above reach, and which kind is which. */
function vendorKubernetes(swaggerPath: string) {
  const definitions = JSON.parse(readFileSync(swaggerPath, "utf8")).definitions as Record<
    string,
    { "x-kubernetes-group-version-kind"?: { group: string; version: string; kind: string }[] }
  >;
  const kinds: Record<string, string> = {};
  for (const [name, definition] of Object.entries(definitions)) {
    for (const { group, version, kind } of definition["x-kubernetes-group-version-kind"] ?? []) {
      const key = `${group ? `${group}/` : ""}${version}/${kind}`;
      if (kubernetesKinds.includes(key)) kinds[key] = name;
    }
  }
  const missing = kubernetesKinds.filter((key) => !kinds[key]);
  if (missing.length > 0) throw new Error(`not in the swagger: ${missing.join(", ")}`);
  const kept: Record<string, Json> = {};
  const pending = Object.values(kinds);
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (kept[name]) continue;
    const definition = withoutDescriptions(definitions[name] as Json);
    kept[name] = definition;
    pending.push(...refsIn(definition, new Set()));
  }
  const sorted = Object.fromEntries(Object.entries(kept).sort(([a], [b]) => a.localeCompare(b)));
  return { kinds, definitions: sorted };
}

interface Crd {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; storage: boolean; schema: { openAPIV3Schema: Json } }[];
  };
}

/** A CRD's stored version: its group/version/kind and its openAPIV3Schema. */
function vendorCrd(path: string) {
  const crd = Bun.YAML.parse(readFileSync(path, "utf8")) as Crd;
  const stored = crd.spec.versions.find((version) => version.storage);
  if (!stored) throw new Error(`${path}: no stored version`);
  return {
    apiVersion: `${crd.spec.group}/${stored.name}`,
    kind: crd.spec.names.kind,
    schema: withoutDescriptions(stored.schema.openAPIV3Schema),
  };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const valuesOf = (flag: string) =>
    args.flatMap((arg, index) => (arg === flag ? [args[index + 1] ?? ""] : []));
  const [swagger] = valuesOf("--kubernetes");
  const [workflow] = valuesOf("--workflow");
  mkdirSync(join(schemaDir, "crds"), { recursive: true });
  if (swagger)
    writeFileSync(join(schemaDir, "kubernetes.json"), JSON.stringify(vendorKubernetes(swagger), null, 2));
  for (const path of valuesOf("--crd")) {
    const crd = vendorCrd(path);
    const file = `${crd.apiVersion.replace("/", "_")}_${crd.kind}.json`;
    writeFileSync(join(schemaDir, "crds", file), JSON.stringify(crd, null, 2));
  }
  if (workflow) writeFileSync(join(schemaDir, "github-workflow.json"), readFileSync(workflow, "utf8"));
  // Formatted as biome formats JSON, so `biome check .` stays clean.
  const biome = Bun.spawnSync([join(root, "node_modules/.bin/biome"), "format", "--write", schemaDir]);
  if (biome.exitCode !== 0) throw new Error(biome.stderr.toString());
}
