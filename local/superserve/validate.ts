import { errors } from "./errors";

/** Field readers for untrusted JSON bodies; each failure names the field and the fix. */
export function asObject(body: unknown, what: string): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw errors.badRequest(`${what} must be a JSON object`);
  return body as Record<string, unknown>;
}

export function reqString(o: Record<string, unknown>, field: string): string {
  const v = o[field];
  if (typeof v !== "string" || v.trim() === "") throw errors.invalid(field, "must be a non-empty string");
  return v;
}

/** A required string of 1 to `maxLength` characters (code points, whitespace counted: the spec's `minLength`/`maxLength`). */
export function reqBoundedString(o: Record<string, unknown>, field: string, maxLength: number): string {
  const v = o[field];
  const length = typeof v === "string" ? [...v].length : 0;
  if (typeof v !== "string" || length < 1 || length > maxLength) throw errors.invalid(field, `must be a string of 1 to ${maxLength} characters`);
  return v;
}

export function optString(o: Record<string, unknown>, field: string): string | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw errors.invalid(field, "must be a string");
  return v;
}

export function optInt(o: Record<string, unknown>, field: string, min: number, max = 2 ** 31): number | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw errors.invalid(field, `must be an integer between ${min} and ${max}`);
  return v;
}

/** An integer, `null` (clear) or absent. */
export function optNullableInt(o: Record<string, unknown>, field: string, min: number, max?: number): number | null | undefined {
  return o[field] === null ? null : optInt(o, field, min, max);
}

export function stringMap(o: Record<string, unknown>, field: string): Record<string, string> {
  const v = o[field];
  if (v === undefined) return {};
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw errors.invalid(field, "must be an object of string values");
  for (const [k, x] of Object.entries(v)) if (typeof x !== "string") throw errors.invalid(`${field}.${k}`, "must be a string");
  return v as Record<string, string>;
}

export function stringList(o: Record<string, unknown>, field: string): string[] | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw errors.invalid(field, "must be an array of strings");
  return v as string[];
}

/** The env var names the sandbox accepts. */
export function envMap(o: Record<string, unknown>, field: string): Record<string, string> {
  const m = stringMap(o, field);
  for (const k of Object.keys(m)) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw errors.invalid(`${field}.${k}`, "names must match [A-Za-z_][A-Za-z0-9_]*");
  return m;
}
