import { coreApiDocument } from "@qc/contracts/openapi/documents";
import { Elysia } from "elysia";

/** `GET /openapi.json`: core's OpenAPI 3.1 document, generated from the contracts once per process. */
export const openApi = (service: string) => {
  let document: ReturnType<typeof coreApiDocument> | undefined;
  return new Elysia({ name: `openapi-${service}` }).get("/openapi.json", () => {
    document ??= coreApiDocument();
    return document;
  });
};
