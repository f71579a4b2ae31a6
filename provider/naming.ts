/**
 * Resource names: autonaming (`<logical name>-<hash>`, decided once in `check`) and validation
 * of names against a service's rules.
 */
import { createHash } from "node:crypto";

/** A service's naming rules. */
export interface NameRules {
  /** What the name is, for messages ("Mesa repo name"). */
  what: string;
  maxLength: number;
  /** Allowed shape; `description` explains it in words. */
  pattern: RegExp;
  description: string;
  /** Names the service reserves. */
  reserved?: readonly string[];
}

/** Suffix source: maps a seed to the suffix, injectable for tests. */
export type SuffixSource = (seed: string) => string;

/**
 * Seven lowercase hex characters derived from the seed (the URN and the inputs that force a
 * replacement). Deterministic on purpose: a create interrupted before the engine saved its name
 * gets the same name on the next run, so the object it left behind is found and adopted; a
 * replacement changes a seeded input and so gets a new name (create-before-delete works).
 */
export const hashSuffix: SuffixSource = (seed) =>
  createHash("sha256").update(seed).digest("hex").slice(0, 7);

/**
 * `<logical>-<suffix>`, with characters the service refuses replaced by `-` and the logical part
 * shortened so the whole fits `rules.maxLength`.
 */
export function autoname(
  logicalName: string,
  seed: string,
  rules: NameRules,
  suffix: SuffixSource = hashSuffix,
): string {
  const tail = `-${suffix(seed)}`;
  let base = logicalName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "");
  base = base.slice(0, Math.max(1, rules.maxLength - tail.length)).replace(/[-._]+$/, "");
  return `${base || "r"}${tail}`;
}

/** Why `name` breaks `rules`, or undefined when it is fine. */
export function nameProblem(name: string, rules: NameRules): string | undefined {
  if (name.length === 0) return `${rules.what} must not be empty.`;
  if (name.length > rules.maxLength) {
    return `${rules.what} "${name}" is ${name.length} characters long; the limit is ${rules.maxLength}. Use a shorter name, or leave it unset to autoname.`;
  }
  if (!rules.pattern.test(name)) {
    return `${rules.what} "${name}" is not allowed: ${rules.description}.`;
  }
  if (rules.reserved?.includes(name.toLowerCase())) {
    return `${rules.what} "${name}" is reserved by the service; pick another name.`;
  }
  return undefined;
}

/** The logical name (last `::` segment) of a Pulumi URN. */
export function logicalNameOf(urn: string): string {
  const at = urn.lastIndexOf("::");
  return at < 0 ? urn : urn.slice(at + 2);
}

/** Longest bookmark name Mesa accepts. */
const BOOKMARK_MAX_LENGTH = 200;

/** Each rule of a bookmark name (git's ref-name rules, as Mesa applies them), with what breaks it. */
const BOOKMARK_RULES: ReadonlyArray<[broken: (name: string) => boolean, what: string]> = [
  [(n) => n.length === 0, "it is empty"],
  [(n) => n.length > BOOKMARK_MAX_LENGTH, `it is longer than ${BOOKMARK_MAX_LENGTH} characters`],
  [
    (n) => !/^[A-Za-z0-9._/-]+$/.test(n),
    "it has characters other than letters, digits, '.', '_', '-' and '/'",
  ],
  [(n) => !/^[A-Za-z0-9]/.test(n), "it does not start with a letter or digit"],
  [(n) => n.includes(".."), "it contains '..'"],
  [(n) => n.includes("//") || n.endsWith("/"), "it has an empty '/'-separated part"],
  [
    (n) => n.split("/").some((part) => part.startsWith(".")),
    "a '/'-separated part starts with '.'",
  ],
  [(n) => n.endsWith(".lock") || n.endsWith("."), "it ends with '.lock' or '.'"],
  [(n) => n === "HEAD", "HEAD is reserved"],
];

/**
 * Why `name`, given as the program's `field`, is not a bookmark name Mesa accepts, or undefined
 * when it is one.
 */
export function bookmarkProblem(field: string, name: unknown): string | undefined {
  if (typeof name !== "string") return `${field} must be a bookmark name (a string), e.g. "main".`;
  const broken = BOOKMARK_RULES.find(([rule]) => rule(name));
  if (!broken) return undefined;
  return `${field} "${name}" is not a valid bookmark name: ${broken[1]}. Use letters, digits, '.', '_', '-' and '/'-separated parts, e.g. "release-1" or "agents/reviewer".`;
}
