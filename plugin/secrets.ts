/**
 * Secret values between the engine and the shared provider code. The engine sends the plugin
 * secret values wrapped (`{ <sig>: <secret sig>, value }`); the providers work on plain values and
 * learn which inputs were secret from `markedSecret`, as with the dynamic host. What goes back to
 * the engine has those inputs, and the ones every resource of a type stores encrypted, wrapped
 * again, so the state keeps them encrypted.
 */
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

type Props = Record<string, unknown>;

function isSecretValue(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Props)[specialSigKey] === specialSecretSig
  );
}

function containsSecret(value: unknown): boolean {
  if (isSecretValue(value)) return true;
  if (Array.isArray(value)) return value.some(containsSecret);
  if (value && typeof value === "object") return Object.values(value).some(containsSecret);
  return false;
}

function plain(value: unknown): unknown {
  if (isSecretValue(value)) return plain(value.value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** Plain properties, and the names of the top-level ones that held a secret anywhere inside. */
export function unwrapSecrets(props: Props): { plain: Props; secret: string[] } {
  return {
    plain: plain(props) as Props,
    secret: Object.keys(props).filter((key) => containsSecret(props[key])),
  };
}

/** `props` with the top-level values named in `secret` (and present) wrapped as secrets. */
export function wrapSecrets(props: Props, secret: readonly string[]): Props {
  const out: Props = { ...props };
  for (const key of secret)
    if (out[key] !== undefined && !isSecretValue(out[key]))
      out[key] = { [specialSigKey]: specialSecretSig, value: out[key] };
  return out;
}
