import { join } from "node:path";
import { startLocalSuperserve } from "../../local/superserve";
import { formatFailures, judge, runSpec } from "./spec-run";

/**
 * Prints today's Superserve spec run: the vendor's spec against a fresh local Superserve (temp
 * data dir, needs root), with the same helper as the Mesa test. Not part of `npm test` until the
 * Superserve divergences are fixed.
 *
 *   npx tsx test/conformance/run-superserve.ts
 */

/** Operations of the spec that `@superserve/sdk` 0.8.1 never calls (specs/README.md). */
const NOT_IN_SDK = [
  "GET /health",
  "POST /sandboxes/{sandbox_id}/exec",
  "POST /sandboxes/{sandbox_id}/exec/stream",
];

async function main() {
  const ss = await startLocalSuperserve({ killGraceMs: 1000 });
  try {
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${ss.url}${path}`, {
        method,
        headers: {
          "x-api-key": ss.apiKey,
          ...(body !== undefined && { "content-type": "application/json" }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as Record<string, any>;
    };
    // The local backend has no curated `superserve/base`: sandboxes come from a template built here.
    const template = await call("POST", "/templates", {
      name: "spec-run",
      build_spec: { from: "debian:12", steps: [{ run: "true" }] },
    });
    const doomedTemplate = await call("POST", "/templates", {
      name: "spec-run-doomed",
      build_spec: { from: "debian:12", steps: [{ run: "true" }] },
    });
    for (
      let polls = 0;
      (await call("GET", `/templates/${template.id}`)).status !== "ready";
      polls++
    ) {
      if (polls > 600) throw new Error("the seed template did not build within 2 minutes");
      await new Promise((ok) => setTimeout(ok, 200));
    }
    const kept = await call("POST", "/sandboxes", { name: "spec-run", from_template: "spec-run" });
    const doomed = await call("POST", "/sandboxes", {
      name: "spec-run-doomed",
      from_template: "spec-run",
    });
    const report = await runSpec({
      spec: join(__dirname, "specs", "superserve-openapi.yaml"),
      baseUrl: ss.url,
      credential: { header: "X-API-Key", value: ss.apiKey },
      maxExamples: 10,
      workers: 1,
      parameters: {
        "path.sandbox_id": kept.id,
        "path.template_id": template.id,
        "path.build_id": template.build_id ?? "",
      },
      operationParameters: {
        deleteSandbox: { "path.sandbox_id": doomed.id },
        deleteTemplate: { "path.template_id": doomedTemplate.id },
      },
    });
    const verdict = judge(report, []);
    const all = [...report.operations.keys()];
    const sdk = all.filter((l) => !NOT_IN_SDK.includes(l));
    console.log(
      `Superserve spec run: ${sdk.filter((l) => verdict.passing.includes(l)).length}/${sdk.length} SDK-used operations and ` +
        `${verdict.passing.length}/${all.length} operations pass every check (${Math.round(report.elapsedMs / 1000)} s); ` +
        `5xx on: ${verdict.serverErrors.join(", ") || "none"}`,
    );
    if (report.errors.length) console.log(`errors:\n${report.errors.join("\n")}`);
    console.log(formatFailures(verdict.failing));
  } finally {
    await ss.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
