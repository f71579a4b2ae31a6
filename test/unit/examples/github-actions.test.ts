/**
 * The CI example (examples/github-actions/agent-environment.yml), parsed as GitHub Actions reads
 * it: the up is serialized per stack, clears a killed runner's lock and pending creates before it
 * deploys (and says why that is safe there), and every job runs Node.js 24.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  steps: Step[];
}

const file = join(
  __dirname,
  "..",
  "..",
  "..",
  "examples",
  "github-actions",
  "agent-environment.yml",
);
const text = readFileSync(file, "utf8");
const workflow = parse(text) as { env: Record<string, string>; jobs: Record<string, Job> };
const { up, preview } = workflow.jobs;
const stack = workflow.env.STACK;

describe("the GitHub Actions example", () => {
  it("names one stack for both jobs", () => {
    expect(stack, "env.STACK").toMatch(/^\w+$/);
    for (const job of [up, preview]) {
      const pulumiSteps = job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@") && s.with);
      expect(pulumiSteps.length).toBeGreaterThan(0);
      for (const s of pulumiSteps) expect(s.with?.["stack-name"]).toBe("${{ env.STACK }}");
    }
  });

  it("serializes the up per stack and never cancels a running one", () => {
    expect(up.if).toBe("github.event_name == 'push'");
    expect(up.concurrency, "the up job has a concurrency group").toBeDefined();
    expect(up.concurrency!.group, "a group of the stack, not of the branch").toBe(
      `pulumi-stack-${stack}`,
    );
    expect(up.concurrency!["cancel-in-progress"]).toBe(false);
  });

  it("clears a killed runner's lock and pending creates before the up, saying why that is safe", () => {
    const upIndex = up.steps.findIndex(
      (s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command === "up",
    );
    expect(upIndex, "an up step").toBeGreaterThan(0);
    const clearIndex = up.steps.findIndex((s) => s.run?.includes("pulumi cancel --yes"));
    expect(clearIndex, "a step runs pulumi cancel").toBeGreaterThan(0);
    expect(clearIndex, "before the up").toBeLessThan(upIndex);
    const clear = up.steps[clearIndex].run!;
    expect(clear).toMatch(/postgres:\/\/\*/);
    expect(clear).toContain("pulumi refresh --clear-pending-creates");
    const installIndex = up.steps.findIndex(
      (s) => s.uses?.startsWith("pulumi/actions@") && !s.with,
    );
    expect(installIndex, "the CLI is installed before the clearing step").toBeLessThan(clearIndex);
    // The reason, in the comment above the step: the concurrency group leaves no other run.
    const comment = text.slice(0, text.indexOf(`- name: ${up.steps[clearIndex].name}`));
    expect(comment.slice(comment.lastIndexOf("steps:"))).toMatch(
      /safe to clear here: the\s+(#\s+)?concurrency group above runs one job of\s+(#\s+)?this stack at a time/,
    );
  });

  it("runs Node.js 24 in every job", () => {
    for (const job of Object.values(workflow.jobs)) {
      const setups = job.steps.filter((s) => s.uses?.startsWith("actions/setup-node@"));
      expect(setups).toHaveLength(1);
      expect(setups[0].with?.["node-version"]).toBe(24);
    }
  });
});
