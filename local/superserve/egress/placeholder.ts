import { randomInt } from "node:crypto";

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = LOWER.toUpperCase();
const DIGITS = "0123456789";
const ALNUM = LOWER + UPPER + DIGITS;

/**
 * A leading vendor prefix worth keeping (`sk-ant-api03-`, `ghp_`, `mesa_`, `lin_api_`): short
 * letter-led segments each ending in `-` or `_`. A segment made only of hex digits is not a
 * prefix (it would be the start of a UUID or a hex key), and the prefix leaves at least eight
 * characters to randomize.
 */
function vendorPrefix(value: string): string {
  let prefix = "";
  for (const m of value.matchAll(/[A-Za-z][A-Za-z0-9]{0,9}[-_]/gy)) {
    if (/^[0-9a-f]+[-_]$/i.test(m[0])) break;
    prefix += m[0];
  }
  return value.length - prefix.length >= 8 ? prefix : "";
}

function shaped(value: string, prefix: string): string {
  let out = prefix;
  for (const ch of value.slice(prefix.length)) {
    const set = LOWER.includes(ch)
      ? LOWER
      : UPPER.includes(ch)
        ? UPPER
        : DIGITS.includes(ch)
          ? DIGITS
          : undefined;
    out += set ? set[randomInt(set.length)] : ch;
  }
  return out;
}

/**
 * The stand-in a sandbox sees for a secret's `value`: the same length, the same vendor prefix,
 * and at every other position a random character of the same class (lower case, upper case,
 * digit; punctuation kept), so code that checks a key's shape accepts it. Never equal to `value`.
 */
export function placeholderFor(value: string): string {
  const prefix = vendorPrefix(value);
  if (!/[A-Za-z0-9]/.test(value.slice(prefix.length))) {
    return Array.from(value, () => ALNUM[randomInt(ALNUM.length)]).join("") || "x";
  }
  for (;;) {
    const p = shaped(value, prefix);
    if (p !== value) return p;
  }
}
