/** The URL-safe key of a category name ("Fruits & Vegetables" → "fruits-vegetables"); empty when it has no letters or digits. */
export function slugOf(name: string): string {
  return name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "");
}
