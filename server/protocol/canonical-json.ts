/**
 * Canonical JSON for protocol documents (the manifest, the result): object keys
 * sorted by UTF-16 code units, no whitespace, only safe integers as numbers,
 * strings escaped as JSON.stringify does. This is the JSON Canonicalization
 * Scheme (RFC 8785) restricted to integers, so independent verifiers can
 * reproduce the bytes with any RFC 8785 library.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value))
      throw new TypeError(`canonical JSON allows only safe integers, got ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new TypeError(`not representable in canonical JSON: ${typeof value}`);
}
