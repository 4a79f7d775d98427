import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { serviceNames, topicDeclarations } from "@qc/contracts";
import { ConfigSchema, SECRET_SETTINGS } from "../../core/shared/config";
import { grpcPortOf, portOf } from "../../core/shared/runtime/context";
import { RUNTIME_ENV } from "../../core/shared/runtime/runtime-env";
import { grpcServed, KAFKA_CLUSTER, lagScaled, PRESTOP_SLEEP_SECONDS } from "./synth";

/** The parts of Kubernetes objects the invariants read (the schemas check the rest). */
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  command?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: { containers: Container[]; initContainers?: Container[]; terminationGracePeriodSeconds?: number };
}
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: specs differ by kind; each check reads the fields it knows
  spec?: any;
}

const root = resolve(import.meta.dir, "../..");
/** Names a secret would have: their values must come from a Secret, never sit in a manifest. */
export const SECRET_LOOKING = /SECRET|PASSWORD|PASS$|KEY|TOKEN|DATABASE_URL|REDIS_URL/;
// What a core container may set: core's settings, and the runtime's own tuning every service starts with.
const CONFIG_NAMES = new Set([...Object.keys(ConfigSchema.shape), ...Object.keys(RUNTIME_ENV)]);
const defaults = ConfigSchema.parse({});

const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

const podTemplateOf = (object: K8sObject): PodTemplate | undefined =>
  ["Deployment", "StatefulSet", "Job"].includes(object.kind) ? object.spec?.template : undefined;

/** Every broken invariant of a rendered environment, one line each (empty when all hold). */
export function manifestProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const find = (kind: string, name: string) =>
    objects.find((object) => object.kind === kind && object.metadata.name === name);
  const ofKind = (kind: string) => objects.filter((object) => object.kind === kind);
  const configMaps = ofKind("ConfigMap");
  // Postgres connections every pool may hold at full scale-out, plus the migration Job's one.
  let connections = 1;

  for (const name of serviceNames) {
    const deployment = find("Deployment", name);
    if (!deployment) {
      problems.push(`${name}: no Deployment`);
      continue;
    }
    const template: PodTemplate = deployment.spec.template;
    const podLabels = template.metadata?.labels;
    const [container, ...others] = template.spec.containers;
    if (!container || others.length > 0) problems.push(`${name}: not exactly one container`);
    if (!container) continue;
    const main = `core/${name}/main.ts`;
    if (container.command?.join(" ") !== `bun ${main}` || !existsSync(resolve(root, main)))
      problems.push(`${name}: does not run bun ${main}`);
    const port = container.ports?.find((candidate) => candidate.name === "http")?.containerPort;
    if (port !== portOf(defaults, name))
      problems.push(`${name}: http port ${port}, the service listens on ${portOf(defaults, name)}`);
    if (container.readinessProbe?.httpGet?.path !== "/health/ready")
      problems.push(`${name}: no readiness probe on /health/ready`);
    if (container.livenessProbe?.httpGet?.path !== "/health/live")
      problems.push(`${name}: no liveness probe on /health/live`);
    for (const kind of ["requests", "limits"] as const)
      for (const resource of ["cpu", "memory"])
        if (!container.resources?.[kind]?.[resource]) problems.push(`${name}: no ${resource} ${kind}`);
    if (deployment.spec.strategy?.rollingUpdate?.maxUnavailable !== 0)
      problems.push(`${name}: rolling update may drop a ready pod (maxUnavailable is not 0)`);
    const drain = container.lifecycle?.preStop?.sleep?.seconds;
    if (drain === undefined || drain < PRESTOP_SLEEP_SECONDS)
      problems.push(`${name}: no preStop pause before SIGTERM`);
    if ((template.spec.terminationGracePeriodSeconds ?? 30) <= (drain ?? 0) + 30)
      problems.push(`${name}: the grace period leaves under 30 s to drain consumers and HTTP after preStop`);

    const service = find("Service", name);
    if (!service || !selects(service.spec.selector, podLabels))
      problems.push(`${name}: no Service selecting its pods`);
    else if (
      !service.spec.ports?.some(
        (p: { targetPort: unknown }) => p.targetPort === "http" || p.targetPort === port,
      )
    )
      problems.push(`${name}: its Service does not target the http port`);
    if (grpcServed.has(name)) {
      const grpc = grpcPortOf(defaults, name);
      if (container.ports?.find((candidate) => candidate.name === "grpc")?.containerPort !== grpc)
        problems.push(`${name}: serves gRPC on ${grpc}, its pod does not declare that port`);
      if (
        !service?.spec.ports?.some(
          (p: { port: number; targetPort: unknown }) => p.port === grpc && p.targetPort === "grpc",
        )
      )
        problems.push(`${name}: its Service does not carry the gRPC port ${grpc}`);
    }
    const budget = find("PodDisruptionBudget", name);
    if (!budget || !selects(budget.spec.selector?.matchLabels, podLabels))
      problems.push(`${name}: no PodDisruptionBudget`);

    const hpa = find("HorizontalPodAutoscaler", name);
    const scaled = find("ScaledObject", name);
    const consumer = lagScaled[name];
    if (consumer) {
      if (hpa) problems.push(`${name}: an HPA beside its ScaledObject (KEDA owns the HPA)`);
      const triggers: { type: string; metadata: Record<string, string> }[] = scaled?.spec.triggers ?? [];
      for (const topic of consumer.topics)
        if (
          !triggers.some(
            (t) =>
              t.type === "kafka" && t.metadata.consumerGroup === consumer.group && t.metadata.topic === topic,
          )
        )
          problems.push(`${name}: no KEDA trigger on the lag of ${consumer.group} on ${topic}`);
      if (scaled?.spec.scaleTargetRef?.name !== name)
        problems.push(`${name}: no ScaledObject scaling its Deployment`);
    } else {
      if (scaled) problems.push(`${name}: a ScaledObject though it consumes no command topic`);
      const onCpu = hpa?.spec.metrics?.some(
        (m: { resource?: { name: string } }) => m.resource?.name === "cpu",
      );
      if (!hpa || hpa.spec.scaleTargetRef?.name !== name || !onCpu) problems.push(`${name}: no HPA on CPU`);
    }

    // Production refuses to start without each of these; each must come from a Secret.
    const env = new Map(container.env?.map((variable) => [variable.name, variable]));
    const pool = Number(env.get("DB_POOL_MAX")?.value ?? defaults.DB_POOL_MAX);
    connections +=
      pool * (hpa?.spec.maxReplicas ?? scaled?.spec.maxReplicaCount ?? deployment.spec.replicas ?? 1);
    for (const secret of ["DATABASE_URL", "REDIS_URL", "RABBITMQ_URL", ...SECRET_SETTINGS])
      if (!env.get(secret)?.valueFrom?.secretKeyRef) problems.push(`${name}: ${secret} not from a Secret`);
  }

  for (const object of objects) {
    const template = podTemplateOf(object);
    if (!template) continue;
    const core = ["core", "migration"].includes(
      object.metadata.labels?.["app.kubernetes.io/component"] ?? "",
    );
    for (const container of [...template.spec.containers, ...(template.spec.initContainers ?? [])]) {
      for (const variable of container.env ?? []) {
        if (
          SECRET_LOOKING.test(variable.name) &&
          (variable.value !== undefined || !variable.valueFrom?.secretKeyRef)
        )
          problems.push(
            `${object.kind}/${object.metadata.name}: ${variable.name} inlined instead of a secretKeyRef`,
          );
        if (core && !CONFIG_NAMES.has(variable.name))
          problems.push(
            `${object.kind}/${object.metadata.name}: ${variable.name} is no setting of core/shared/config`,
          );
      }
      if (!core) continue;
      for (const [name, value] of Object.entries(RUNTIME_ENV))
        if (
          object.kind === "Deployment" &&
          template.spec.containers.includes(container) &&
          !container.env?.some((variable) => variable.name === name && variable.value === value)
        )
          problems.push(`${object.kind}/${object.metadata.name}: runs without ${name}=${value}`);
      for (const source of container.envFrom ?? []) {
        const configMap = configMaps.find(
          (candidate) => candidate.metadata.name === source.configMapRef?.name,
        );
        if (!configMap) problems.push(`${object.kind}/${object.metadata.name}: envFrom a missing ConfigMap`);
        for (const key of Object.keys(configMap?.data ?? {}))
          if (!CONFIG_NAMES.has(key))
            problems.push(
              `ConfigMap/${configMap?.metadata.name}: ${key} is no setting of core/shared/config`,
            );
      }
    }
  }
  for (const configMap of configMaps)
    for (const key of Object.keys(configMap.data ?? {}))
      if (SECRET_LOOKING.test(key))
        problems.push(`ConfigMap/${configMap.metadata.name}: ${key} belongs in a Secret`);

  const kafka = ofKind("Kafka")[0];
  if (kafka?.metadata.name !== KAFKA_CLUSTER) problems.push(`no Kafka named ${KAFKA_CLUSTER}`);
  for (const configMap of configMaps) {
    const brokers = configMap.data?.KAFKA_BROKERS;
    if (brokers && !brokers.startsWith(`${KAFKA_CLUSTER}-kafka-bootstrap`))
      problems.push(
        `ConfigMap/${configMap.metadata.name}: KAFKA_BROKERS is not the Kafka cluster's bootstrap`,
      );
  }
  const declared = topicDeclarations()
    .map((t) => `${t.name} ${t.partitions} ${t.retentionMs}`)
    .sort();
  const topics = ofKind("KafkaTopic").map(
    (topic) =>
      `${topic.spec.topicName ?? topic.metadata.name} ${topic.spec.partitions} ${topic.spec.config?.["retention.ms"]}`,
  );
  const missing = declared.filter((topic) => !topics.includes(topic));
  const extra = topics.filter((topic) => !declared.includes(topic));
  if (missing.length + extra.length > 0)
    problems.push(
      `KafkaTopics differ from the contracts' registry: missing [${missing.join(", ")}], not in it [${extra.join(", ")}]`,
    );
  for (const topic of ofKind("KafkaTopic"))
    if (topic.metadata.labels?.["strimzi.io/cluster"] !== KAFKA_CLUSTER)
      problems.push(`KafkaTopic/${topic.metadata.name}: not of ${KAFKA_CLUSTER}`);

  const postgres = ofKind("Cluster")[0];
  if (!postgres || postgres.spec.instances < 2)
    problems.push("Postgres: no CloudNativePG Cluster with a replica");
  if (!postgres?.spec.backup?.barmanObjectStore?.destinationPath)
    problems.push("Postgres: no backup object store");
  if (!ofKind("ScheduledBackup").some((backup) => backup.spec.cluster?.name === postgres?.metadata.name))
    problems.push("Postgres: no ScheduledBackup of the cluster");
  const maxConnections = Number(postgres?.spec.postgresql?.parameters?.max_connections ?? 100);
  if (maxConnections < connections)
    problems.push(
      `Postgres: max_connections ${maxConnections} < ${connections} the pools may open at full scale-out`,
    );
  return problems;
}
