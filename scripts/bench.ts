import { readdirSync } from "node:fs";
import { join } from "node:path";

/** `bun scripts/bench.ts <name> [args]`: runs scripts/bench/<name>.ts, which prints its own figures. */
const folder = join(import.meta.dir, "bench");
const available = readdirSync(folder)
  .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
  .map((file) => file.replace(/\.ts$/, ""));
const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(`usage: bun scripts/bench.ts <${available.join("|")}> [args]`);
  process.exit(2);
}
await import(join(folder, `${name}.ts`));
