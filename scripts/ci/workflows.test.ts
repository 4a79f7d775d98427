import { describe, expect, it } from "bun:test";
import { readWorkflows, type Workflow, workflowProblems } from "./workflow-checks";

const copy = () => structuredClone(readWorkflows()) as Record<string, Workflow>;
const job = (workflows: Record<string, Workflow>, file: string, name: string) => {
  const found = workflows[file]?.jobs[name];
  if (!found) throw new Error(`no job ${name} in ${file}`);
  return found;
};

describe("GitHub workflows", () => {
  it("pass the workflow schema and the release rules (gate, staging before production, gradual edge, rollback)", () => {
    const workflows = readWorkflows();
    expect(Object.keys(workflows).sort()).toEqual(["ci.yml", "deploy-core.yml", "deploy.yml"]);
    expect(workflowProblems(workflows)).toEqual([]);
  });
});

describe("each workflow check catches what it is for", () => {
  it("a key the schema does not know, a job without runs-on or uses", () => {
    const workflows = copy();
    Object.assign(job(workflows, "ci.yml", "quality"), { runs_on: "ubuntu-24.04" });
    const problems = workflowProblems(workflows).join("\n");
    expect(problems).toContain("ci.yml: /jobs/quality");
    expect(problems).toContain('"additionalProperty":"runs_on"');
  });

  it("a need of no job, a needs.* read without the need, a reusable call without its inputs", () => {
    const workflows = copy();
    job(workflows, "deploy.yml", "edge-staging").needs = "core-stagin";
    job(workflows, "deploy.yml", "core-production").needs = ["edge-staging"];
    delete job(workflows, "deploy.yml", "core-staging").with?.namespace;
    expect(workflowProblems(workflows)).toEqual(
      expect.arrayContaining([
        "deploy.yml: edge-staging needs core-stagin, which is no job",
        "deploy.yml: core-production reads needs.image without needing it",
        "deploy.yml: core-staging calls deploy-core.yml without namespace",
      ]),
    );
  });

  it("production before staging, no gate, no canary, no rollbacks", () => {
    const workflows = copy();
    job(workflows, "deploy.yml", "core-production").needs = ["image"];
    job(workflows, "ci.yml", "quality").steps = [{ run: "npm test" }];
    const edge = job(workflows, "deploy.yml", "edge-production");
    edge.steps = edge.steps?.filter(
      (step) => !step.run?.includes("@10%") && !step.run?.includes("wrangler rollback"),
    );
    const core = job(workflows, "deploy-core.yml", "rollout");
    core.steps = core.steps?.filter((step) => !step.run?.includes("rollout undo"));
    expect(workflowProblems(workflows)).toEqual(
      expect.arrayContaining([
        "deploy.yml: core-production may run before staging is done",
        "ci.yml: no job runs the quality gate (bash .ci/run)",
        "deploy.yml: the production edge does not go 10% then 100%",
        "deploy.yml: no wrangler rollback when the edge rollout fails",
        "deploy-core.yml: no kubectl rollout undo when the core rollout fails",
      ]),
    );
  });
});
