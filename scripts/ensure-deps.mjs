// Installs the workspace's packages when they are missing or older than the lockfile, so `npm run dev`
// and `npm test` work on a fresh clone with nothing but Node and npm. Plain Node: Bun itself comes from here.
import { execSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

const marker = "node_modules/.package-lock.json";
const stale = !existsSync(marker) || statSync("package-lock.json").mtimeMs > statSync(marker).mtimeMs;
if (stale || !existsSync("node_modules/.bin/bun")) {
  console.log("installing packages (npm ci)…");
  execSync("npm ci --no-audit --no-fund", { stdio: "inherit" });
}
