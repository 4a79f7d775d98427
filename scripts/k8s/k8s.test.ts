import { beforeAll, describe, expect, it } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { health } from "../../core/shared/http/health";
import { type K8sObject, manifestProblems } from "./invariants";
import { loadValidators, schemaProblems } from "./schemas";
import { generatedDir, lagScaled, synthesize } from "./synth";

const root = resolve(import.meta.dir, "../..");
const environments = ["staging", "production"] as const;

/** One overlay as the cluster would receive it (`kubectl kustomize`, offline). */
function render(environment: string): K8sObject[] {
  const kustomize = Bun.spawnSync(["kubectl", "kustomize", join(root, "deploy/k8s/overlays", environment)]);
  if (kustomize.exitCode !== 0) throw new Error(kustomize.stderr.toString());
  return (Bun.YAML.parse(kustomize.stdout.toString()) as K8sObject[]).filter(Boolean);
}

const rendered = Object.fromEntries(environments.map((environment) => [environment, render(environment)]));
const production = () => structuredClone(rendered.production) as K8sObject[];
const named = (objects: K8sObject[], kind: string, name: string) => {
  const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
  if (!object) throw new Error(`no ${kind}/${name}`);
  return object;
};
const without = (objects: K8sObject[], kind: string, name: string) =>
  objects.filter((object) => !(object.kind === kind && object.metadata.name === name));
const containerOf = (objects: K8sObject[], kind: string, name: string) =>
  named(objects, kind, name).spec.template.spec.containers[0];

let validators: ReturnType<typeof loadValidators>;
beforeAll(() => {
  validators = loadValidators();
});

describe("Kubernetes manifests", () => {
  it("are what `npm run k8s:synth` writes from the code", () => {
    const files = synthesize();
    expect(readdirSync(generatedDir).sort()).toEqual(Object.keys(files).sort());
    for (const [file, content] of Object.entries(files))
      expect(readFileSync(join(generatedDir, file), "utf8"), `${file} is stale: npm run k8s:synth`).toBe(
        content,
      );
  });

  for (const environment of environments) {
    it(`${environment}: every object is valid against the Kubernetes or its operator's schema`, () => {
      expect(rendered[environment]?.length).toBeGreaterThan(50);
      expect(rendered[environment]?.flatMap((object) => schemaProblems(validators, object))).toEqual([]);
    });

    it(`${environment}: keeps the invariants (probes, resources, PDB, Service, scaling, secrets, topics)`, () => {
      expect(manifestProblems(rendered[environment] ?? [])).toEqual([]);
    });
  }

  it("scales on the consumer groups and topics the services' code subscribes", () => {
    for (const consumer of Object.values(lagScaled)) {
      const source = readFileSync(join(root, consumer.source), "utf8");
      expect(source).toContain(`groupId: "${consumer.group}"`);
      for (const topic of consumer.topics) expect(source).toContain(`"${topic}"`);
    }
  });

  it("probes the paths core's health plugin serves", async () => {
    const down = () => Promise.reject(new Error("down"));
    const app = health({
      name: "order",
      db: {} as never,
      redis: { send: down } as never,
      bus: { isHealthy: async () => false } as never,
    });
    expect((await app.handle(new Request("http://core/health/live"))).status).toBe(200);
    expect((await app.handle(new Request("http://core/health/ready"))).status).toBe(503);
  });
});

describe("each manifest check catches what it is for", () => {
  it("a field the schema does not know, a wrong type, an unknown kind", () => {
    const objects = production();
    containerOf(objects, "Deployment", "order").readinesProbe = {};
    named(objects, "KafkaTopic", "order.events.v1").spec.partitions = "four";
    const problems = objects.flatMap((object) => schemaProblems(validators, object));
    expect(problems.join("\n")).toContain(
      "Deployment/order: /spec/template/spec/containers/0 must NOT have additional properties",
    );
    expect(problems.join("\n")).toContain("KafkaTopic/order.events.v1: /spec/partitions must be integer");
    expect(
      schemaProblems(validators, { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } }),
    ).toEqual(["Widget/w: no schema for example.com/v1/Widget"]);
  });

  it("a missing probe, resource, rolling-update guard or drain", () => {
    const objects = production();
    const order = containerOf(objects, "Deployment", "order");
    delete order.readinessProbe;
    order.livenessProbe.httpGet.path = "/health";
    delete order.resources.limits.memory;
    delete order.lifecycle;
    named(objects, "Deployment", "order").spec.strategy.rollingUpdate.maxUnavailable = 1;
    named(objects, "Deployment", "cart").spec.template.spec.terminationGracePeriodSeconds = 10;
    expect(manifestProblems(objects)).toEqual(
      expect.arrayContaining([
        "order: no readiness probe on /health/ready",
        "order: no liveness probe on /health/live",
        "order: no memory limits",
        "order: rolling update may drop a ready pod (maxUnavailable is not 0)",
        "order: no preStop pause before SIGTERM",
        "cart: the grace period leaves under 30 s to drain consumers and HTTP after preStop",
      ]),
    );
  });

  it("a missing Deployment, Service, PodDisruptionBudget or autoscaler", () => {
    let objects = without(production(), "Deployment", "auth");
    objects = without(without(objects, "Service", "cart"), "PodDisruptionBudget", "pricing");
    objects = without(without(objects, "HorizontalPodAutoscaler", "catalog"), "ScaledObject", "payment");
    named(objects, "ScaledObject", "order").spec.triggers.shift();
    expect(manifestProblems(objects)).toEqual(
      expect.arrayContaining([
        "auth: no Deployment",
        "cart: no Service selecting its pods",
        "pricing: no PodDisruptionBudget",
        "catalog: no HPA on CPU",
        "payment: no ScaledObject scaling its Deployment",
        "order: no KEDA trigger on the lag of order-saga on inventory.replies.v1",
      ]),
    );
  });

  it("a secret inlined anywhere, or a setting core does not have", () => {
    const objects = production();
    const payment = containerOf(objects, "Deployment", "payment");
    payment.env = payment.env.map((variable: { name: string }) =>
      variable.name === "ADMIN_PASSWORD" ? { name: "ADMIN_PASSWORD", value: "hunter2hunter2" } : variable,
    );
    payment.env.push({ name: "PAYMENT_TIMEOUT", value: "3" });
    containerOf(objects, "StatefulSet", "redis").env = [{ name: "REDIS_PASSWORD", value: "plain" }];
    const config = objects.find((object) => object.kind === "ConfigMap");
    if (config?.data) config.data.CLOUDFLARE_API_TOKEN = "t";
    expect(manifestProblems(objects)).toEqual(
      expect.arrayContaining([
        "payment: ADMIN_PASSWORD not from a Secret",
        "Deployment/payment: ADMIN_PASSWORD inlined instead of a secretKeyRef",
        "Deployment/payment: PAYMENT_TIMEOUT is no setting of core/shared/config",
        "StatefulSet/redis: REDIS_PASSWORD inlined instead of a secretKeyRef",
        `ConfigMap/${config?.metadata.name}: CLOUDFLARE_API_TOKEN belongs in a Secret`,
      ]),
    );
  });

  it("a core service started without the runtime's tuning", () => {
    const objects = production();
    const order = containerOf(objects, "Deployment", "order");
    order.env = order.env.filter((variable: { name: string }) => variable.name !== "BUN_JSC_useFTLJIT");
    expect(manifestProblems(objects)).toEqual(["Deployment/order: runs without BUN_JSC_useFTLJIT=0"]);
  });

  it("topics that differ from the contracts' registry", () => {
    let objects = production();
    named(objects, "KafkaTopic", "payment.commands.v1").spec.partitions = 12;
    objects = without(objects, "KafkaTopic", "auth.events.v1.dlq");
    expect(manifestProblems(objects)).toEqual([
      "KafkaTopics differ from the contracts' registry: missing [auth.events.v1.dlq 1 1209600000, payment.commands.v1 4 604800000], not in it [payment.commands.v1 12 604800000]",
    ]);
  });

  it("Postgres without a replica, backups or connections for every pool", () => {
    let objects = production();
    const postgres = named(objects, "Cluster", "qc-postgres");
    postgres.spec.instances = 1;
    delete postgres.spec.backup;
    postgres.spec.postgresql.parameters.max_connections = "100";
    objects = without(objects, "ScheduledBackup", "qc-postgres-daily");
    expect(manifestProblems(objects)).toEqual([
      "Postgres: no CloudNativePG Cluster with a replica",
      "Postgres: no backup object store",
      "Postgres: no ScheduledBackup of the cluster",
      expect.stringMatching(/^Postgres: max_connections 100 < \d+ the pools may open at full scale-out$/),
    ]);
  });
});
