import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { schemaDir } from "../k8s/schemas";

/** The lint of .github/workflows/: SchemaStore's workflow schema, and what a schema cannot see. */
export const workflowDir = resolve(import.meta.dir, "../../.github/workflows");

interface Step {
  name?: string;
  run?: string;
  if?: string;
}
interface Job {
  needs?: string | string[];
  uses?: string;
  with?: Record<string, unknown>;
  environment?: string | { name: string };
  steps?: Step[];
}
export interface Workflow {
  on: Record<string, { inputs?: Record<string, { required?: boolean }> } | null>;
  jobs: Record<string, Job>;
}

export const readWorkflows = (): Record<string, Workflow> =>
  Object.fromEntries(
    readdirSync(workflowDir)
      .filter((file) => file.endsWith(".yml"))
      .map((file) => [file, Bun.YAML.parse(readFileSync(join(workflowDir, file), "utf8")) as Workflow]),
  );

export function workflowValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(join(schemaDir, "github-workflow.json"), "utf8"));
  return new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(schema);
}

const needsOf = (job: Job) => (job.needs === undefined ? [] : [job.needs].flat());
const environmentOf = (job: Job) =>
  typeof job.environment === "object" ? job.environment.name : job.environment;
const commands = (job: Job) => (job.steps ?? []).map((step) => step.run ?? "").join("\n");

/** Every problem of the workflows, one line each (empty when they are sound). */
export function workflowProblems(workflows: Record<string, Workflow>): string[] {
  const problems: string[] = [];
  const validate = workflowValidator();
  for (const [file, workflow] of Object.entries(workflows)) {
    if (!validate(workflow))
      for (const error of validate.errors ?? [])
        problems.push(
          `${file}: ${error.instancePath || "/"} ${error.message} ${JSON.stringify(error.params)}`,
        );
    for (const [name, job] of Object.entries(workflow.jobs ?? {})) {
      for (const need of needsOf(job))
        if (!workflow.jobs[need]) problems.push(`${file}: ${name} needs ${need}, which is no job`);
      for (const [, used] of JSON.stringify(job).matchAll(/needs\.([\w-]+)\./g))
        if (used && !needsOf(job).includes(used))
          problems.push(`${file}: ${name} reads needs.${used} without needing it`);
      const local = job.uses?.match(/^\.\/\.github\/workflows\/(.+)$/)?.[1];
      if (local) {
        const called = workflows[local];
        if (!called?.on || !("workflow_call" in called.on))
          problems.push(`${file}: ${name} calls ${local}, no reusable workflow`);
        for (const [input, spec] of Object.entries(called?.on.workflow_call?.inputs ?? {}))
          if (spec.required && job.with?.[input] === undefined)
            problems.push(`${file}: ${name} calls ${local} without ${input}`);
      }
    }
  }

  const ci = workflows["ci.yml"];
  if (!Object.values(ci?.jobs ?? {}).some((job) => commands(job).includes("bash .ci/run")))
    problems.push("ci.yml: no job runs the quality gate (bash .ci/run)");
  const deploy = workflows["deploy.yml"];
  const jobs = deploy?.jobs ?? {};
  const upstream = (name: string, seen = new Set<string>()): Set<string> => {
    for (const need of needsOf(jobs[name] ?? {})) if (!seen.has(need)) upstream(need, seen.add(need));
    return seen;
  };
  const environmentOfCall = (job: Job) => environmentOf(job) ?? (job.with?.environment as string | undefined);
  const inEnvironment = (environment: string) =>
    Object.keys(jobs).filter((name) => environmentOfCall(jobs[name] as Job) === environment);
  const staging = inEnvironment("staging");
  const production = inEnvironment("production");
  if (staging.length === 0 || production.length === 0)
    problems.push("deploy.yml: no staging and production jobs");
  for (const name of production) {
    if (!staging.every((before) => upstream(name).has(before)))
      problems.push(`deploy.yml: ${name} may run before staging is done`);
    if (!upstream(name).has("quality"))
      problems.push(`deploy.yml: ${name} does not wait for the quality gate`);
  }
  if (!Object.values(jobs).some((job) => job.uses === "./.github/workflows/ci.yml") || !jobs.quality)
    problems.push("deploy.yml: no quality job calling ci.yml");
  const edge = Object.values(jobs).find(
    (job) => environmentOf(job) === "production" && commands(job).includes("wrangler"),
  );
  const edgeCommands = commands(edge ?? {});
  const canary = edgeCommands.search(/wrangler versions deploy [^\n]*@10%/);
  const full = edgeCommands.search(/wrangler versions deploy [^\n]*@100%/);
  if (!edgeCommands.includes("wrangler versions upload"))
    problems.push("deploy.yml: the production edge is not uploaded as a version");
  if (canary < 0 || full < canary) problems.push("deploy.yml: the production edge does not go 10% then 100%");
  if (!edge?.steps?.some((step) => step.if?.includes("failure()") && step.run?.includes("wrangler rollback")))
    problems.push("deploy.yml: no wrangler rollback when the edge rollout fails");
  const core = Object.values(workflows["deploy-core.yml"]?.jobs ?? {});
  if (
    !core.some((job) =>
      job.steps?.some(
        (step) => step.if?.includes("failure()") && /kubectl .*rollout undo/.test(step.run ?? ""),
      ),
    )
  )
    problems.push("deploy-core.yml: no kubectl rollout undo when the core rollout fails");
  return problems;
}
