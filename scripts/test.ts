import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { decodeXML } from "entities";
import { loadConfig } from "../core/shared/config";
import { brokerPort, startKafka } from "./infra/kafka";
import { ensurePrometheus } from "./infra/prometheus";
import { ensureMachineServices } from "./infra/services";

/**
 * The project's one test command (`npm test`): typecheck and lint every workspace, bring the real
 * infrastructure up, run core's and contracts' tests with Bun and the edge's inside workerd, and end with
 * one line `N passed, N failed` counted from the runners' own JUnit reports.
 */
const root = resolve(import.meta.dir, "..");
const reports = join(root, ".qc/reports");
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
  failures: string[];
}
const tally: Tally = { passed: 0, failed: 0, skipped: 0, failures: [] };

const run = async (command: string[], env: Record<string, string> = {}) => {
  const child = Bun.spawn(command, {
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
    env: { ...process.env, ...env },
  });
  return (await child.exited) === 0;
};

/** A check that is not a test runner (typecheck, lint) counts as one test. */
const check = async (name: string, command: string[]) => {
  console.log(`\n── ${name}`);
  if (await run(command)) tally.passed++;
  else {
    tally.failed++;
    tally.failures.push(name);
  }
};

/**
 * The first lines of why a test failed, so the summary at the very end (all a CI log's tail may keep) says
 * why, not only which.
 */
const whyItFailed = (body: string) => {
  const failure = /<(failure|error)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/.exec(body);
  const text = failure?.[3] || /message="([^"]*)"/.exec(failure?.[2] ?? "")?.[1] || "";
  // JUnit reports are XML: messages come entity-escaped (`&#10;` for a new line).
  const lines = decodeXML(text)
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== "");
  return lines.length ? `\n      ${lines.slice(0, 80).join("\n      ")}` : "";
};

/** Adds a JUnit report's test cases to the tally. */
const count = (file: string, suite: string) => {
  if (!existsSync(file)) {
    tally.failed++;
    tally.failures.push(`${suite}: the runner wrote no report`);
    return;
  }
  const xml = readFileSync(file, "utf8");
  for (const [, attributes = "", body = ""] of xml.matchAll(
    /<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g,
  )) {
    const name = decodeXML(/name="([^"]*)"/.exec(attributes)?.[1] ?? "?");
    const where = decodeXML(/classname="([^"]*)"/.exec(attributes)?.[1] ?? suite);
    if (/<(failure|error)\b/.test(body)) {
      tally.failed++;
      tally.failures.push(`${where} › ${name}${whyItFailed(body)}`);
    } else if (/<skipped\b/.test(body)) tally.skipped++;
    else tally.passed++;
  }
};

const tsc = join(root, "node_modules/.bin/tsc");
for (const project of ["packages/contracts", "core", "edge"]) {
  if (existsSync(join(root, project, "tsconfig.json")))
    await check(`typecheck ${project}`, [tsc, "--noEmit", "-p", project]);
}
await check("lint and format (biome)", [join(root, "node_modules/.bin/biome"), "check", "."]);

const config = loadConfig();
await ensureMachineServices(config.DATABASE_URL, config.REDIS_URL);
// The alert-rule tests run promtool and fail without it: a fresh machine (CI) gets Debian's package here.
await ensurePrometheus();
const kafka = await startKafka({
  port: brokerPort(config.KAFKA_BROKERS),
  log: console.log,
});
try {
  console.log("\n── core and contracts (bun test)");
  const bunReport = join(reports, "bun.xml");
  await run([
    process.execPath,
    "test",
    // One worker, one fresh global per file: a process-wide tracer or registry set by one file never
    // leaks into the next, and the integration tests still run one at a time on this 2-core machine.
    "--parallel=1",
    "--timeout=120000",
    "--reporter=junit",
    `--reporter-outfile=${bunReport}`,
    // Paths, not name filters: a bare "core" would also match edge/src/core/*.test.ts (workerd tests).
    "./packages",
    "./core",
    "./scripts",
    "./tests",
  ]);
  count(bunReport, "bun");

  if (existsSync(join(root, "edge/vitest.config.ts"))) {
    console.log("\n── edge (vitest in workerd)");
    const edgeReport = join(reports, "edge.xml");
    await run([
      join(root, "node_modules/.bin/vitest"),
      "run",
      "--root",
      "edge",
      "--reporter=default",
      "--reporter=junit",
      `--outputFile.junit=${edgeReport}`,
    ]);
    count(edgeReport, "edge");
  }
} finally {
  await kafka.stop();
}

if (tally.failures.length > 0) console.log(`\nfailed:\n  ${tally.failures.join("\n  ")}`);
console.log(
  `\n${tally.passed} passed, ${tally.failed} failed${tally.skipped ? `, ${tally.skipped} skipped` : ""}`,
);
process.exit(tally.failed === 0 ? 0 : 1);
