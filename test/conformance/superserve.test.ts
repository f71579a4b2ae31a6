import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalSuperserve, type LocalSuperserve } from "../../local/superserve";
import { eventually } from "../helpers/eventually";
import { formatFailures, judge, runSpec, type AllowedDivergence } from "./spec-run";

/**
 * The local Superserve against the vendor's OpenAPI spec (`superserve-ai/sandbox`
 * `api/openapi.yaml`, specs/README.md): every operation, generated cases from the spec's schemas,
 * on a fresh server (temp data dir) whose seeded sandboxes and templates are the run's own; the
 * destructive operations get resources of their own.
 */

const SPEC = join(__dirname, "specs", "superserve-openapi.yaml");

/** Operations of the spec that `@superserve/sdk` 0.8.1 never calls (specs/README.md). */
const NOT_IN_SDK = [
  "GET /health",
  "POST /sandboxes/{sandbox_id}/exec",
  "POST /sandboxes/{sandbox_id}/exec/stream",
];

/** Divergences the run sees, each written down with its reason in local/superserve/DIVERGENCES.md. */
const DOC = "local/superserve/DIVERGENCES.md";
const ALLOWED: AllowedDivergence[] = [
  {
    // Forced by the SDK: an unknown `from_template` (here "") is a 404 the SDK turns into NotFoundError.
    operation: "POST /sandboxes",
    check: "status_code_conformance",
    message: /Received: 404/,
    documented: `${DOC}: POST /sandboxes with an unknown from_template is a 404`,
  },
  {
    // The spec's prose ("at least one top-level field") over its schema, as the service enforces it.
    operation: "PATCH /sandboxes/{sandbox_id}",
    check: "positive_data_acceptance",
    message: /Valid data should have been accepted/,
    request: /^PATCH \S+ \{\}$|^PATCH \S+$/,
    documented: `${DOC}: PATCH /sandboxes/{id} with {} (or no body) is a 400`,
  },
  ...["POST /sandboxes", "PATCH /sandboxes/{sandbox_id}"].map((operation): AllowedDivergence => ({
    // The spec's prose ("`deny_out` accepts CIDRs only") over its schema (any string), as the
    // egress layer enforces it: an entry that is no CIDR or IP (a domain, "") is a 400.
    operation,
    check: "positive_data_acceptance",
    message: /Valid data should have been accepted/,
    request: /"deny_out": \[(?:"[0-9a-fA-F.:]+(?:\/\d+)?", )*"(?![0-9a-fA-F.:]+(?:\/\d+)?")/,
    documented: `${DOC}: a deny_out entry that is not a CIDR or IP is a 400 naming the entry`,
  })),
  {
    // "Exactly one of run, env, workdir, user" per step, and env steps need a key (the service's validateBuildSpec).
    operation: "POST /templates",
    check: "positive_data_acceptance",
    message: /Valid data should have been accepted/,
    request: /"steps": \[\{[^\]]*("(run|workdir|user|env)"[^\]]*){2,}|"key": ""/,
    documented: `${DOC}: a build step with more than one of run, env, workdir, user is a 400`,
  },
  ...["POST /sandboxes/{sandbox_id}/exec", "POST /sandboxes/{sandbox_id}/exec/stream"].map(
    (operation): AllowedDivergence => ({
      // The service's ExecSandbox answers 400 to a bad body; the spec declares no 400 here.
      operation,
      check: "status_code_conformance",
      message: /Received: 400/,
      documented: `${DOC}: exec and exec/stream without a valid body are a 400`,
    }),
  ),
];

let ss: LocalSuperserve;
beforeAll(async () => {
  ss = await startLocalSuperserve({ port: 0, killGraceMs: 1000 });
});
afterAll(async () => ss?.stop());

/** A control-plane call of the seed, failing loudly. */
async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${ss.url}${path}`, {
    method,
    headers: {
      "x-api-key": ss.apiKey,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!res.ok)
    throw new Error(`seed: ${method} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** Seeds what the run's path parameters name. */
async function seed() {
  const spec = { from: "debian:12", steps: [{ run: "true" }] };
  const template = await call("POST", "/templates", { name: "spec-run", build_spec: spec });
  const doomedTemplate = await call("POST", "/templates", {
    name: "spec-run-doomed",
    build_spec: spec,
  });
  await eventually(
    "seed: the template spec-run to be built",
    async () => (await call("GET", `/templates/${String(template.id)}`)).status === "ready",
    120_000,
  );
  const kept = await call("POST", "/sandboxes", { name: "spec-run", from_template: "spec-run" });
  const doomed = await call("POST", "/sandboxes", {
    name: "spec-run-doomed",
    from_template: "spec-run",
  });
  const builds = (await call("GET", `/templates/${String(template.id)}/builds`)) as unknown as {
    id: string;
  }[];
  return {
    keptId: String(kept.id),
    parameters: {
      "path.sandbox_id": String(kept.id),
      "path.template_id": String(template.id),
      "path.build_id": builds[0]?.id ?? "",
    },
    operationParameters: {
      deleteSandbox: { "path.sandbox_id": String(doomed.id) },
      deleteTemplate: { "path.template_id": String(doomedTemplate.id) },
    },
  };
}

describe("local Superserve against the vendor's OpenAPI spec", () => {
  it("passes every check on every operation, outside the documented divergences", async () => {
    const { keptId, ...fixtures } = await seed();
    const report = await runSpec({
      spec: SPEC,
      baseUrl: ss.url,
      credential: { header: "X-API-Key", value: ss.apiKey },
      maxExamples: 10,
      workers: 1,
      timeoutMs: 300_000,
      ...fixtures,
    });
    const verdict = judge(report, ALLOWED);
    const all = [...report.operations.keys()];
    const sdk = all.filter((l) => !NOT_IN_SDK.includes(l));
    console.log(
      `Superserve spec run: ${sdk.filter((l) => verdict.passing.includes(l)).length}/${sdk.length} SDK-used operations and ` +
        `${verdict.passing.length}/${all.length} operations pass every check (${Math.round(report.elapsedMs / 1000)} s)`,
    );
    expect(report.errors, "schemathesis could test every operation").toEqual([]);
    const operationsInSpec = readFileSync(SPEC, "utf8").match(/^\s+operationId:/gm)?.length;
    expect(report.operations.size, "every operation of the spec ran").toBe(operationsInSpec);
    expect(verdict.serverErrors, "no operation answered 5xx").toEqual([]);
    expect(
      verdict.failing.size === 0 ? "" : formatFailures(verdict.failing),
      "failures outside the allow-list",
    ).toBe("");
    // The run could not harm what it did not own: the seeded sandbox still answers.
    expect((await call("GET", `/sandboxes/${keptId}`)).id).toBe(keptId);
  }, 600_000);
});
