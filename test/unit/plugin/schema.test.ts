import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { providerFiles } from "../../../scripts/api-docs";
import { SCHEMA_PATH, TYPESCRIPT_ONLY, schemaText } from "../../../scripts/schema";
import {
  CONFIG_NAMESPACE,
  resolveMesaSettings,
  resolveSuperserveSettings,
  type ConfigInputs,
} from "../../../provider/config";

interface PropertySpec {
  type?: string;
  description?: string;
  secret?: boolean;
}

interface Schema {
  config: { variables: Record<string, PropertySpec> };
  provider: { inputProperties: Record<string, PropertySpec> };
  resources: Record<
    string,
    {
      isComponent?: boolean;
      inputProperties: Record<string, { description?: string; secret?: boolean }>;
      requiredInputs: string[];
      properties: Record<string, unknown>;
    }
  >;
}

const committed = (): Schema => JSON.parse(readFileSync(SCHEMA_PATH, "utf8")) as Schema;

/** Members of the exported interface or class `name` in the provider files, as written. */
function membersOf(name: string): Array<{ name: string; optional: boolean; type: string }> {
  for (const file of providerFiles()) {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022);
    for (const stmt of source.statements) {
      if (!(ts.isInterfaceDeclaration(stmt) || ts.isClassDeclaration(stmt))) continue;
      if (stmt.name?.text !== name) continue;
      const members = (stmt.members as ts.NodeArray<ts.Node>).filter(
        (m): m is ts.PropertySignature | ts.PropertyDeclaration =>
          (ts.isPropertySignature(m) || ts.isPropertyDeclaration(m)) &&
          !(ts.getCombinedModifierFlags(m as ts.Declaration) & ts.ModifierFlags.Private),
      );
      return members.map((m) => ({
        name: m.name.getText(source),
        optional: m.questionToken !== undefined,
        type: m.type?.getText(source) ?? "",
      }));
    }
  }
  throw new Error(`no interface or class ${name} in the provider files`);
}

const RESOURCES = [
  "MesaRepo",
  "SuperserveTemplate",
  "MountedSandbox",
  "SandboxCommand",
  "AgentEnvironment",
];

describe("the provider plugin's schema", () => {
  it("is generated from the TypeScript args and TSDoc (run `npx tsx scripts/schema.ts` to update)", () => {
    expect(readFileSync(SCHEMA_PATH, "utf8")).toBe(schemaText());
  }, 60_000);

  it("has each resource's args as its inputs, required where the TypeScript args require them", () => {
    const schema = committed();
    for (const name of RESOURCES) {
      const resource = schema.resources[`superserve-mesa:index:${name}`];
      expect(resource, `a resource ${name}`).toBeDefined();
      const args = membersOf(`${name}Args`).filter(
        (m) => !(`${name}Args.${m.name}` in TYPESCRIPT_ONLY),
      );
      expect(Object.keys(resource.inputProperties).sort(), `the inputs of ${name}`).toEqual(
        args.map((m) => m.name).sort(),
      );
      expect(resource.requiredInputs.sort(), `the required inputs of ${name}`).toEqual(
        args
          .filter((m) => !m.optional)
          .map((m) => m.name)
          .sort(),
      );
      for (const [input, spec] of Object.entries(resource.inputProperties))
        expect(spec.description, `${name}.${input} is documented`).toBeTruthy();
    }
  });

  it("has each resource's outputs as its properties", () => {
    const schema = committed();
    for (const name of RESOURCES) {
      const outputs = membersOf(name)
        .filter((m) => /^(pulumi\.)?Output</.test(m.type) || name === "AgentEnvironment")
        .map((m) => m.name);
      expect(
        Object.keys(schema.resources[`superserve-mesa:index:${name}`].properties).sort(),
        `the outputs of ${name}`,
      ).toEqual(outputs.sort());
    }
  });

  it("marks the inputs every resource stores encrypted as secret", () => {
    const schema = committed();
    expect(schema.resources["superserve-mesa:index:MesaRepo"].inputProperties.upstream.secret).toBe(
      true,
    );
    expect(
      schema.resources["superserve-mesa:index:MountedSandbox"].inputProperties.envVars.secret,
    ).toBe(true);
  });
});

/**
 * The stack config keys the providers ask for while resolving their credentials and endpoints, and
 * the environment variables they fall back to: with nothing set (the local backends allowed, then
 * refused) and with everything set.
 */
async function keysTheProvidersRead(): Promise<{ keys: Set<string>; env: Set<string> }> {
  const keys = new Set<string>();
  const env = new Set<string>();
  const inputs = (values: Record<string, string>, variables: NodeJS.ProcessEnv): ConfigInputs => ({
    config: {
      get(key) {
        expect(key.startsWith(`${CONFIG_NAMESPACE}:`), `${key} in the package's namespace`).toBe(
          true,
        );
        keys.add(key.slice(CONFIG_NAMESPACE.length + 1));
        return values[key.slice(CONFIG_NAMESPACE.length + 1)];
      },
    },
    env: new Proxy(variables, {
      get(target, name) {
        if (typeof name === "string") env.add(name);
        return Reflect.get(target, name) as unknown;
      },
    }),
    cwd: "/nonexistent-project-dir",
    answers: async () => false,
  });
  for (const resolve of [resolveMesaSettings, resolveSuperserveSettings]) {
    await resolve(inputs({}, {})).catch(() => undefined);
    await resolve(inputs({ localBackends: "false" }, {})).catch(() => undefined);
    await resolve(inputs({}, { MESA_API_KEY: "k", SUPERSERVE_API_KEY: "k", MESA_ORG: "o" })).catch(
      () => undefined,
    );
  }
  env.delete("PSM_LOCAL_DIR");
  return { keys, env };
}

describe("the provider plugin's configuration in the schema", () => {
  it("declares every key the providers read, with the environment variable each falls back to", async () => {
    const schema = committed();
    const { keys, env } = await keysTheProvidersRead();
    expect(Object.keys(schema.config.variables).sort()).toEqual([...keys].sort());
    const documented = Object.values(schema.config.variables)
      .map((spec) => /environment variable `([A-Z_]+)`/.exec(spec.description ?? "")?.[1])
      .filter((name): name is string => name !== undefined);
    expect(documented.sort()).toEqual([...env].sort());
  });

  it("marks the API keys secret, describes every key, and takes the same keys as provider inputs", () => {
    const schema = committed();
    for (const [key, spec] of Object.entries(schema.config.variables)) {
      expect(spec.description, `${key} is documented`).toBeTruthy();
      expect(spec.secret === true, `${key} is secret exactly when it is an API key`).toBe(
        key.endsWith("ApiKey"),
      );
    }
    expect(schema.provider.inputProperties).toEqual(schema.config.variables);
  });
});
