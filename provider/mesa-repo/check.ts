/**
 * MesaRepo `check`: the repo name's rules (autonaming is the lifecycle's) and validation of the
 * other inputs, each failure naming the field and the fix.
 */
import { containsUnknown, URN_TAG, type CheckFailure } from "../lifecycle";
import { bookmarkProblem, type NameRules } from "../naming";
import type { MesaRepoInputs } from "./state";

export const mesaRepoNameRules: NameRules = {
  what: "Mesa repo name",
  maxLength: 100,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  description: "use letters, digits, '.', '_' and '-', starting with a letter or digit",
  reserved: ["repo", "repos", "api-key", "api-keys"],
};

/**
 * Validate the inputs (skipping values unknown during preview) and fill the defaults (tags,
 * forceDestroy). `upstream` is stored encrypted: its failures name the field, never a value.
 */
export function validateRepoInputs(inputs: MesaRepoInputs): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const bag = inputs as unknown as Record<string, unknown>;
  if (bag.tags === undefined) inputs.tags = {};
  if (inputs.org !== undefined && !containsUnknown(inputs.org)) {
    if (typeof inputs.org !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(inputs.org)) {
      failures.push({
        property: "org",
        reason:
          "org must be an org slug such as \"acme\" (letters, digits, '.', '_', '-'); leave it unset to use your API key's org.",
      });
    }
  }
  if (inputs.defaultBookmark !== undefined && !containsUnknown(inputs.defaultBookmark)) {
    const problem = bookmarkProblem("defaultBookmark", inputs.defaultBookmark);
    if (problem) failures.push({ property: "defaultBookmark", reason: problem });
  }
  if (!containsUnknown(inputs.tags)) {
    if (typeof inputs.tags !== "object" || inputs.tags === null || Array.isArray(inputs.tags)) {
      failures.push({
        property: "tags",
        reason: 'tags must be a map of strings, e.g. { team: "agents" }.',
      });
    } else {
      for (const [key, value] of Object.entries(inputs.tags)) {
        if (key === URN_TAG)
          failures.push({
            property: "tags",
            reason: `The tag "${URN_TAG}" is reserved: the provider sets it to the resource's URN. Remove it from tags.`,
          });
        else if (typeof value !== "string" && !containsUnknown(value))
          failures.push({ property: "tags", reason: `Tag "${key}" must be a string value.` });
      }
    }
  }
  if (inputs.upstream !== undefined && !containsUnknown(inputs.upstream))
    failures.push(...validateUpstream(inputs.upstream));
  inputs.forceDestroy ??= false;
  if (!containsUnknown(inputs.forceDestroy) && typeof inputs.forceDestroy !== "boolean") {
    failures.push({ property: "forceDestroy", reason: "forceDestroy must be true or false." });
  }
  if (inputs.timeoutSeconds !== undefined && !containsUnknown(inputs.timeoutSeconds)) {
    if (!Number.isInteger(inputs.timeoutSeconds) || inputs.timeoutSeconds < 1) {
      failures.push({
        property: "timeoutSeconds",
        reason: "timeoutSeconds must be a positive whole number of seconds, e.g. 300.",
      });
    }
  }
  return failures;
}

function validateUpstream(upstream: MesaRepoInputs["upstream"]): CheckFailure[] {
  if (typeof upstream !== "object" || upstream === null)
    return [{ property: "upstream", reason: 'upstream must be { url: "https://…", auth?: … }.' }];
  const failures: CheckFailure[] = [];
  if (!containsUnknown(upstream.url)) {
    const url = URL.canParse(String(upstream.url)) ? new URL(String(upstream.url)) : undefined;
    if (!url || !["http:", "https:"].includes(url.protocol)) {
      failures.push({
        property: "upstream.url",
        reason:
          'upstream.url must be an http(s) git remote URL, e.g. "https://github.com/acme/app.git".',
      });
    } else if (url.username || url.password) {
      failures.push({
        property: "upstream.url",
        reason:
          'upstream.url must not carry credentials: remove the "user:password@" part and set upstream.auth, e.g. { kind: "token", token: config.requireSecret("githubToken") }.',
      });
    }
  }
  const auth = upstream.auth as Record<string, unknown> | undefined;
  if (auth !== undefined && !containsUnknown(auth)) {
    const okToken = auth?.kind === "token" && typeof auth.token === "string" && auth.token !== "";
    const okBasic =
      auth?.kind === "username_password" &&
      typeof auth.username === "string" &&
      auth.username !== "" &&
      typeof auth.password === "string" &&
      auth.password !== "";
    if (!okToken && !okBasic) {
      failures.push({
        property: "upstream.auth",
        reason:
          'upstream.auth must be { kind: "token", token, tokenUsername? } or { kind: "username_password", username, password }, each a non-empty string.',
      });
    }
  }
  return failures;
}
