/** Writes schemas/<Type>.v<version>.json for every registered message; commit the result. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { messageJsonSchemas } from "../src/messages/json-schema";

const directory = join(import.meta.dir, "..", "schemas");
await mkdir(directory, { recursive: true });
const schemas = Object.entries(messageJsonSchemas());
for (const [fileName, schema] of schemas) {
  await writeFile(join(directory, fileName), `${JSON.stringify(schema, null, 2)}\n`);
}
console.log(`wrote ${schemas.length} schemas to ${directory}`);
