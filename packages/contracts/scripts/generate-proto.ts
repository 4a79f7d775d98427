import { resolve } from "node:path";

/**
 * Generates the TypeScript of every .proto under packages/contracts/proto into src/grpc/gen (or under `out`),
 * with buf and protoc-gen-es from node_modules: no network, no remote plugin. `npm run proto` after editing a
 * .proto; the proto test fails while the committed output differs from a fresh one.
 */
export async function generateProto(out?: string): Promise<void> {
  const contracts = resolve(import.meta.dir, "..");
  const bin = resolve(contracts, "../../node_modules/.bin");
  const child = Bun.spawn(
    [
      `${bin}/buf`,
      "generate",
      "proto",
      "--template",
      "proto/buf.gen.yaml",
      "--clean",
      ...(out ? ["-o", out] : []),
    ],
    { cwd: contracts, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, stderr: "pipe" },
  );
  if ((await child.exited) !== 0)
    throw new Error(`buf generate failed: ${await new Response(child.stderr).text()}`);
}

if (import.meta.main) await generateProto();
