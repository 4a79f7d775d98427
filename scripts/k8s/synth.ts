import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { serviceNames, type TopicName, topicDeclarations } from "@qc/contracts";
import { services } from "../../core/services";
import { ConfigSchema, SECRET_SETTINGS } from "../../core/shared/config";
import { grpcPortOf, portOf, type ServiceName } from "../../core/shared/runtime/context";
import { RUNTIME_ENV } from "../../core/shared/runtime/runtime-env";
import { PRODUCTION_SAMPLE_RATIO } from "../../core/shared/telemetry/tracing";
import { DEFAULT_POOL_SIZES } from "../platform/start";

/**
 * `npm run k8s:synth`: writes the Kubernetes objects that follow from the code into deploy/k8s/base/generated/
 * (per core service a Deployment, Service, PodDisruptionBudget and HPA or KEDA ScaledObject; a KafkaTopic per
 * topic of the contracts' registry; the migration Job; the services' shared settings). The rest of the base
 * (Kafka, Postgres, Redis, RabbitMQ) is plain YAML beside it; overlays add namespace, image and settings.
 */
const root = resolve(import.meta.dir, "../..");
export const generatedDir = join(root, "deploy/k8s/base/generated");

/** The Kafka cluster (Strimzi names its bootstrap Service `<cluster>-kafka-bootstrap`). */
export const KAFKA_CLUSTER = "qc-kafka";
export const KAFKA_BOOTSTRAP = `${KAFKA_CLUSTER}-kafka-bootstrap:9092`;
/**
 * KEDA asks the brokers from its own namespace, so its scalers need the fully qualified name; each overlay
 * writes its namespace over NAMESPACE (components/namespaced-scalers).
 */
const KEDA_KAFKA_BOOTSTRAP = `${KAFKA_CLUSTER}-kafka-bootstrap.NAMESPACE.svc:9092`;
/** CloudNativePG's secret for the application owner: key `uri` is a full connection URL. */
export const POSTGRES_APP_SECRET = "qc-postgres-app";
/** Created out of band (docs/operations.md): one key per SECRET_SETTINGS entry. */
export const CORE_SECRET = "core-secrets";
export const REDIS_SECRET = "redis-auth";
/** `url` (amqp://<user>:<password>@rabbitmq:5672) for core's RABBITMQ_URL, beside the server's credentials. */
export const RABBITMQ_SECRET = "rabbitmq-auth";
/** The image placeholder the overlays replace with the pushed image. */
export const CORE_IMAGE = "quickcommerce-core";
/** Seconds the pod keeps serving after it is marked terminating, while endpoints drop it everywhere. */
export const PRESTOP_SLEEP_SECONDS = 5;

interface Sizing {
  cpu: { request: string; limit: string };
  memory: { request: string; limit: string };
  minReplicas: number;
  maxReplicas: number;
}

const small: Sizing = {
  cpu: { request: "100m", limit: "500m" },
  memory: { request: "192Mi", limit: "384Mi" },
  minReplicas: 2,
  maxReplicas: 6,
};
const saga: Sizing = {
  cpu: { request: "250m", limit: "1" },
  memory: { request: "256Mi", limit: "512Mi" },
  minReplicas: 2,
  maxReplicas: 4,
};

export const sizing: Record<ServiceName, Sizing> = {
  auth: small,
  catalog: small,
  pricing: small,
  cart: small,
  inventory: saga,
  order: { ...saga, maxReplicas: 6 },
  payment: saga,
  delivery: small,
};

/**
 * Services scaled by KEDA on consumer lag (and CPU) rather than by an HPA on CPU alone: their consumer groups
 * and topics, as their code subscribes them (the test reads the files named here to check they still do).
 */
export const lagScaled: Partial<Record<ServiceName, { source: string; group: string; topics: TopicName[] }>> =
  {
    inventory: {
      source: "core/inventory/consumers/commands.ts",
      group: "inventory",
      topics: ["inventory.commands.v1"],
    },
    payment: {
      source: "core/payment/consumers/commands.ts",
      group: "payment",
      topics: ["payment.commands.v1"],
    },
    order: {
      source: "core/order/background.ts",
      group: "order-saga",
      topics: ["inventory.replies.v1", "payment.replies.v1", "delivery.replies.v1", "delivery.events.v1"],
    },
  };

const defaults = ConfigSchema.parse({});

/** The services that serve gRPC (their definition's `grpc`): their pods and Service carry a `grpc` port too. */
export const grpcServed = new Set(services.filter((service) => service.grpc).map((service) => service.name));
const grpcPort = (name: ServiceName) => ({ name: "grpc", port: grpcPortOf(defaults, name) });
const labelsOf = (name: string, component: string) => ({
  "app.kubernetes.io/name": name,
  "app.kubernetes.io/component": component,
});

/** Settings every core process shares (a ConfigMap from an env file, so a change rolls the pods). */
export function coreSettings(): Record<string, string> {
  return {
    NODE_ENV: "production",
    HOST: "0.0.0.0",
    LOG_LEVEL: "info",
    KAFKA_BROKERS: KAFKA_BOOTSTRAP,
    EDGE_PURGER: "edge",
    OTEL_SAMPLE_RATIO: String(PRODUCTION_SAMPLE_RATIO),
    ...Object.fromEntries(
      serviceNames.map((name) => [`${name.toUpperCase()}_URL`, `http://${name}:${portOf(defaults, name)}`]),
    ),
  };
}

/** Connection URLs and SECRET_SETTINGS, each from a Secret: production refuses to start without them. */
const secretEnv = () => [
  { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: POSTGRES_APP_SECRET, key: "uri" } } },
  { name: "REDIS_URL", valueFrom: { secretKeyRef: { name: REDIS_SECRET, key: "url" } } },
  { name: "RABBITMQ_URL", valueFrom: { secretKeyRef: { name: RABBITMQ_SECRET, key: "url" } } },
  ...SECRET_SETTINGS.map((name) => ({ name, valueFrom: { secretKeyRef: { name: CORE_SECRET, key: name } } })),
];

const coreContainer = (name: string, command: string[], env: object[]) => ({
  name,
  image: CORE_IMAGE,
  command,
  envFrom: [{ configMapRef: { name: "core-config" } }],
  env,
  securityContext: {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
  },
});

const podSecurity = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };

function deployment(name: ServiceName) {
  const size = sizing[name];
  const port = portOf(defaults, name);
  const labels = labelsOf(name, "core");
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels },
    spec: {
      replicas: size.minReplicas,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { "app.kubernetes.io/name": name } },
      // A new pod must be ready before an old one goes: capacity never drops during a rollout.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels,
          annotations: {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": String(port),
            "prometheus.io/path": "/metrics",
          },
        },
        spec: {
          automountServiceAccountToken: false,
          securityContext: podSecurity,
          // SIGTERM stops the HTTP server (in-flight requests finish), then each consumer (its batch commits and
          // it leaves the group, so partitions move at once), the outbox relay and the pools (runUntilSignal).
          terminationGracePeriodSeconds: 45,
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: "kubernetes.io/hostname",
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: { "app.kubernetes.io/name": name } },
            },
          ],
          containers: [
            {
              ...coreContainer(
                name,
                ["bun", `core/${name}/main.ts`],
                [
                  { name: "DB_POOL_MAX", value: String(DEFAULT_POOL_SIZES[name]) },
                  ...Object.entries(RUNTIME_ENV).map(([key, value]) => ({ name: key, value })),
                  // Static Kafka group membership under the pod's name: a container the kubelet restarts
                  // in place (a crash) takes its partitions straight back, without a group rebalance.
                  { name: "KAFKA_INSTANCE_ID", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  ...secretEnv(),
                ],
              ),
              ports: [
                { name: "http", containerPort: port },
                ...(grpcServed.has(name)
                  ? [{ name: "grpc", containerPort: grpcPortOf(defaults, name) }]
                  : []),
              ],
              resources: {
                requests: { cpu: size.cpu.request, memory: size.memory.request },
                limits: { cpu: size.cpu.limit, memory: size.memory.limit },
              },
              // The server listens only once Postgres, Redis, Kafka and the topics are there.
              startupProbe: {
                httpGet: { path: "/health/live", port: "http" },
                periodSeconds: 2,
                failureThreshold: 60,
              },
              livenessProbe: {
                httpGet: { path: "/health/live", port: "http" },
                periodSeconds: 10,
                timeoutSeconds: 2,
                failureThreshold: 3,
              },
              // Each dependency check gives up after 1.5 s (core/shared/http/health.ts).
              readinessProbe: {
                httpGet: { path: "/health/ready", port: "http" },
                periodSeconds: 5,
                timeoutSeconds: 3,
                failureThreshold: 2,
              },
              lifecycle: { preStop: { sleep: { seconds: PRESTOP_SLEEP_SECONDS } } },
            },
          ],
        },
      },
    },
  };
}

const service = (name: ServiceName) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, labels: labelsOf(name, "core") },
  spec: {
    selector: { "app.kubernetes.io/name": name },
    ports: [
      { name: "http", port: portOf(defaults, name), targetPort: "http" },
      // h2c: plain-text HTTP/2 inside the cluster (calls are signed per call, see core/shared/grpc/auth.ts).
      ...(grpcServed.has(name)
        ? [{ ...grpcPort(name), targetPort: "grpc", appProtocol: "kubernetes.io/h2c" }]
        : []),
    ],
  },
});

const disruptionBudget = (name: ServiceName) => ({
  apiVersion: "policy/v1",
  kind: "PodDisruptionBudget",
  metadata: { name, labels: labelsOf(name, "core") },
  spec: { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": name } } },
});

const CPU_TARGET_PERCENT = 70;
const scaleDownSlowly = { scaleDown: { stabilizationWindowSeconds: 300 } };

const cpuAutoscaler = (name: ServiceName) => ({
  apiVersion: "autoscaling/v2",
  kind: "HorizontalPodAutoscaler",
  metadata: { name, labels: labelsOf(name, "core") },
  spec: {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
    minReplicas: sizing[name].minReplicas,
    maxReplicas: sizing[name].maxReplicas,
    metrics: [
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: CPU_TARGET_PERCENT } },
      },
    ],
    behavior: scaleDownSlowly,
  },
});

/** Messages waiting per replica before KEDA adds one (a few batches: each is one transaction). */
const LAG_PER_REPLICA = 100;

function lagAutoscaler(name: ServiceName) {
  const consumer = lagScaled[name];
  if (!consumer) throw new Error(`${name} is not scaled on lag`);
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name, labels: labelsOf(name, "core") },
    spec: {
      scaleTargetRef: { name },
      minReplicaCount: sizing[name].minReplicas,
      maxReplicaCount: sizing[name].maxReplicas,
      pollingInterval: 15,
      cooldownPeriod: 300,
      advanced: { horizontalPodAutoscalerConfig: { behavior: scaleDownSlowly } },
      triggers: [
        ...consumer.topics.map((topic) => ({
          type: "kafka",
          metadata: {
            bootstrapServers: KEDA_KAFKA_BOOTSTRAP,
            consumerGroup: consumer.group,
            topic,
            lagThreshold: String(LAG_PER_REPLICA),
            offsetResetPolicy: "earliest",
          },
        })),
        { type: "cpu", metricType: "Utilization", metadata: { value: String(CPU_TARGET_PERCENT) } },
      ],
    },
  };
}

/** `bun core/migrate.ts` once per release, before the new pods start (expand/contract: docs/operations.md). */
const migrationJob = () => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name: "migrate", labels: labelsOf("migrate", "migration") },
  spec: {
    backoffLimit: 3,
    activeDeadlineSeconds: 900,
    ttlSecondsAfterFinished: 86_400,
    template: {
      metadata: { labels: labelsOf("migrate", "migration") },
      spec: {
        restartPolicy: "Never",
        automountServiceAccountToken: false,
        securityContext: podSecurity,
        containers: [
          {
            ...coreContainer("migrate", ["bun", "core/migrate.ts"], secretEnv()),
            resources: {
              requests: { cpu: "100m", memory: "192Mi" },
              limits: { cpu: "500m", memory: "384Mi" },
            },
          },
        ],
      },
    },
  },
});

/** One KafkaTopic per topic and dead-letter topic of the registry, with its partitions and retention. */
const kafkaTopics = () =>
  topicDeclarations().map(({ name, partitions, retentionMs }) => ({
    apiVersion: "kafka.strimzi.io/v1",
    kind: "KafkaTopic",
    metadata: { name, labels: { "strimzi.io/cluster": KAFKA_CLUSTER } },
    spec: {
      topicName: name,
      partitions,
      replicas: 3,
      config: { "retention.ms": retentionMs, "min.insync.replicas": 2 },
    },
  }));

const HEADER = "# Generated by `npm run k8s:synth` (scripts/k8s/synth.ts) from the code; do not edit.\n";
// Through JSON first: objects shared between manifests would otherwise become YAML anchors and aliases.
const yaml = (objects: object[]) =>
  `${HEADER}${objects.map((object) => Bun.YAML.stringify(JSON.parse(JSON.stringify(object)), null, 2)).join("\n---\n")}\n`;

/** Every generated file, by name under deploy/k8s/base/generated/. */
export function synthesize(): Record<string, string> {
  const files: Record<string, string> = {
    "core.env": `${HEADER}${Object.entries(coreSettings())
      .map(([key, value]) => `${key}=${value}`)
      .join("\n")}\n`,
    "migrate.yaml": yaml([migrationJob()]),
    "kafka-topics.yaml": yaml(kafkaTopics()),
  };
  for (const name of serviceNames) {
    const autoscaler = lagScaled[name] ? lagAutoscaler(name) : cpuAutoscaler(name);
    files[`core-${name}.yaml`] = yaml([deployment(name), service(name), disruptionBudget(name), autoscaler]);
  }
  return files;
}

if (import.meta.main) {
  rmSync(generatedDir, { recursive: true, force: true });
  mkdirSync(generatedDir, { recursive: true });
  const files = synthesize();
  for (const [file, content] of Object.entries(files)) writeFileSync(join(generatedDir, file), content);
  console.log(`wrote ${readdirSync(generatedDir).length} files to ${generatedDir}`);
}
