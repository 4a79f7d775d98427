// Bundles handler-cpu.ts for Node with the Worker's conditions and runs it.
import { build } from "esbuild";

const outfile = "/tmp/qc-edge-handler-cpu.mjs";
await build({
  entryPoints: [new URL("./handler-cpu.ts", import.meta.url).pathname],
  bundle: true,
  format: "esm",
  platform: "node",
  conditions: ["workerd", "worker", "browser"],
  outfile,
  logLevel: "warning",
});
await import(outfile);
