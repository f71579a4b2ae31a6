import { errors } from "../errors";

/** Field readers for untrusted JSON bodies; each failure names the field and the fix. */
export function asObject(body: unknown, what: string): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw errors.badRequest(`${what} must be a JSON object`);
  return body as Record<string, unknown>;
}

export function reqString(o: Record<string, unknown>, field: string): string {
  const v = o[field];
  if (typeof v !== "string" || v.trim() === "")
    throw errors.invalid(field, "must be a non-empty string");
  return v;
}

/**
 * A required string of at least one character, whitespace counted, and at most `maxLength` code
 * points when given (the spec's `minLength: 1` and `maxLength`).
 */
export function reqBoundedString(
  o: Record<string, unknown>,
  field: string,
  maxLength?: number,
): string {
  const v = o[field];
  const length = typeof v === "string" ? [...v].length : 0;
  if (typeof v !== "string" || length < 1 || (maxLength !== undefined && length > maxLength)) {
    throw errors.invalid(
      field,
      `must be a non-empty string${maxLength === undefined ? "" : ` of at most ${maxLength} characters`}`,
    );
  }
  return v;
}

export function optString(o: Record<string, unknown>, field: string): string | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw errors.invalid(field, "must be a string");
  return v;
}

export function optInt(
  o: Record<string, unknown>,
  field: string,
  min: number,
  max = 2 ** 31,
): number | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    throw errors.invalid(field, `must be an integer between ${min} and ${max}`);
  return v;
}

/** An integer, `null` (clear) or absent. */
export function optNullableInt(
  o: Record<string, unknown>,
  field: string,
  min: number,
  max?: number,
): number | null | undefined {
  return o[field] === null ? null : optInt(o, field, min, max);
}

export function stringMap(o: Record<string, unknown>, field: string): Record<string, string> {
  const v = o[field];
  if (v === undefined) return {};
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw errors.invalid(field, "must be an object of string values");
  for (const [k, x] of Object.entries(v))
    if (typeof x !== "string") throw errors.invalid(`${field}.${k}`, "must be a string");
  return v as Record<string, string>;
}

export function stringList(o: Record<string, unknown>, field: string): string[] | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string"))
    throw errors.invalid(field, "must be an array of strings");
  return v as string[];
}

/** An environment map: names as the service takes them (non-empty, no `=` or NUL; the spec allows any key). */
export function envMap(o: Record<string, unknown>, field: string): Record<string, string> {
  const m = stringMap(o, field);
  for (const [k, v] of Object.entries(m)) {
    if (!/^[^=\0]+$/.test(k))
      throw errors.invalid(
        `${field}[${JSON.stringify(k)}]`,
        "names must be non-empty, without `=` or NUL",
      );
    if (v.includes("\0")) throw errors.invalid(`${field}.${k}`, "values must not contain NUL");
  }
  return m;
}
