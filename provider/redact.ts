/**
 * Keeping secret values out of everything a provider prints: check failures, progress lines,
 * warnings, errors and the command output they quote. The secret values of a resource are the
 * string leaves of the inputs it stores encrypted (e.g. `envVars`, `upstream`) and of the inputs
 * the program marked secret; credentials the provider makes itself (a sandbox's access token) are
 * passed in by the code that holds them, and anything shaped like a JWT or an API key goes too.
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

/** A JWT (the SDK-signed access tokens): three base64url parts, the first a JSON object. */
const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;
/** A Mesa or Superserve API key. */
const API_KEY = /\b(?:mesa|ss)_[A-Za-z0-9_-]{8,}/g;

/** Replaces every secret value in a text. */
export type Redactor = (text: string) => string;

/**
 * `text` with each of `secrets` (the longest first, so no part of one is left behind), any JWT and
 * any API key replaced by {@link REDACTED}.
 *
 * @example
 * redact("token=abc.def.ghi", ["abc.def.ghi"]); // "token=[secret]"
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  const searched = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort(
    (a, b) => b.length - a.length,
  );
  const out = searched.reduce((acc, secret) => acc.split(secret).join(REDACTED), text);
  return out.replace(JWT, REDACTED).replace(API_KEY, REDACTED);
}

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
  return (text) => redact(text, values);
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
