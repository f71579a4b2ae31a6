/**
 * Keeping secret values out of everything a provider prints: check failures, progress lines,
 * warnings and errors. The secret values of a resource are the string leaves of the inputs it
 * stores encrypted (e.g. `envVars`, `upstream`) and of the inputs the program marked secret.
 *
 * A provider process cannot see which values are secret (the dynamic-provider host declines
 * secrets, so the engine sends plain values); the program reports the top-level inputs that hold
 * a secret in the common input `markedSecret` (see `dynamic.ts`).
 */

/** Shown in place of a secret value. */
export const REDACTED = "[secret]";

/**
 * Values shorter than this are not searched for: replacing every `1` or `on` of a message would
 * garble it without protecting anything a reader could not guess.
 */
const MIN_SECRET_LENGTH = 4;

/** Replaces every secret value in a text. */
export type Redactor = (text: string) => string;

/**
 * The string leaves of `value`. Map keys are names, not values, and stay readable; so does a
 * union's discriminator `kind` (`upstream.auth.kind: "token"` names a variant, it is no secret).
 */
function leaves(value: unknown, out: string[]): void {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => leaves(v, out));
  else if (value && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) if (key !== "kind") leaves(v, out);
  }
}

/** A redactor for the secret values among `inputs[fields]`. */
export function redactorFor(inputs: Record<string, unknown>, fields: Iterable<string>): Redactor {
  const values: string[] = [];
  for (const field of new Set(fields)) leaves(inputs[field], values);
  const secrets = [...new Set(values.filter((v) => v.length >= MIN_SECRET_LENGTH))].sort(
    (a, b) => b.length - a.length,
  );
  if (secrets.length === 0) return (text) => text;
  return (text) => secrets.reduce((out, secret) => out.split(secret).join(REDACTED), text);
}

/**
 * `err` with the secret values removed from its message and stack (the host prints both; a
 * partial create's reasons are its message).
 */
export function redactError(err: unknown, redact: Redactor): unknown {
  if (!(err instanceof Error)) return new Error(redact(String(err)));
  const message = redact(err.message);
  if (message !== err.message) err.message = message;
  if (err.stack) err.stack = redact(err.stack);
  return err;
}
