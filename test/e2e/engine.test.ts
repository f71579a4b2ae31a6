/**
 * Proves the real engine works in this repository's TypeScript setup: the pinned CLI, the Node.js
 * language host running a TypeScript program, and dynamic-provider serialization, through
 * up / no-op up / update / drift preview / destroy.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { createTempProject, type TempProject } from "../helpers/pulumi";
import { dependentSteps } from "../helpers/steps";

/** A program with a tiny dynamic resource of our own that owns one file. */
function fileProgram(path: string, content: string): string {
  return `
import * as pulumi from "@pulumi/pulumi";

interface FileInputs { path: string; content: string }

const fileProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: FileInputs) {
    require("fs").writeFileSync(inputs.path, inputs.content);
    return { id: inputs.path, outs: inputs };
  },
  async read(id: string, props: FileInputs) {
    const fs = require("fs");
    if (!fs.existsSync(id)) return { id: "", props: {} };
    return { id, props: { ...props, content: fs.readFileSync(id, "utf8") } };
  },
  async diff(_id: string, olds: FileInputs, news: FileInputs) {
    return {
      changes: olds.content !== news.content || olds.path !== news.path,
      replaces: olds.path !== news.path ? ["path"] : [],
    };
  },
  async update(_id: string, _olds: FileInputs, news: FileInputs) {
    require("fs").writeFileSync(news.path, news.content);
    return { outs: news };
  },
  async delete(id: string) {
    require("fs").rmSync(id, { force: true });
  },
};

class DemoFile extends pulumi.dynamic.Resource {
  declare readonly content: pulumi.Output<string>;
  constructor(name: string, args: FileInputs) {
    super(fileProvider, name, { ...args }, {}, "demo", "DemoFile");
  }
}

const file = new DemoFile("greeting", { path: ${JSON.stringify(path)}, content: ${JSON.stringify(content)} });
export const content = file.content;
`;
}

describe("the real Pulumi engine", () => {
  const step = dependentSteps();
  let project: TempProject;
  let target: string;

  beforeAll(async () => {
    project = await createTempProject({ program: "" });
    target = join(project.dir, "greeting.txt");
    project.writeProgram(fileProgram(target, "hello"));
  });
  afterAll(async () => project?.dispose());

  step("creates the resource on the first up", async () => {
    const result = await project.stack.up({ color: "never" });
    expect(result.summary.result, result.stderr).toBe("succeeded");
    expect(result.summary.resourceChanges?.create, "stack + DemoFile created").toBe(2);
    expect(readFileSync(target, "utf8")).toBe("hello");
    expect(result.outputs.content?.value).toBe("hello");
  });

  step("reports no changes on a second up", async () => {
    const result = await project.stack.up({ color: "never" });
    expect(result.summary.resourceChanges).toEqual({ same: 2 });
  });

  step("shows the readable type token in the state", async () => {
    const state = await project.stack.exportStack();
    const types = state.deployment.resources.map((r: { type: string }) => r.type);
    expect(types).toContain("pulumi-nodejs:dynamic/demo:DemoFile");
  });

  step("updates in place when an input changes", async () => {
    project.writeProgram(fileProgram(target, "hello again"));
    const result = await project.stack.up({ color: "never" });
    expect(result.summary.resourceChanges).toEqual({ same: 1, update: 1 });
    expect(readFileSync(target, "utf8")).toBe("hello again");
  });

  step("shows out-of-band deletion as drift in preview --refresh", async () => {
    rmSync(target);
    const preview = await project.stack.preview({ refresh: true, color: "never", diff: true });
    expect(preview.changeSummary, preview.stdout).toMatchObject({ create: 1 });
    expect(preview.stdout).toContain("DemoFile");
    expect(existsSync(target), "a preview must not touch the world").toBe(false);
    writeFileSync(target, "hello again");
  });

  step("destroys what it created", async () => {
    const result = await project.stack.destroy({ color: "never" });
    expect(result.summary.resourceChanges).toEqual({ delete: 2 });
    expect(existsSync(target)).toBe(false);
  });
});
