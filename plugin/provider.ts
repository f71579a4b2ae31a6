/**
 * The provider plugin's methods: every custom resource's check/diff/create/read/update/delete is
 * the shared lifecycle of `provider/<resource>/provider.ts`, the very code the dynamic resources
 * run; `construct` builds `AgentEnvironment` with the package's own component class. This module
 * only adapts the protocol: the URN the engine passes becomes the `pulumiUrn` input, secret values
 * are unwrapped for the providers and wrapped again for the state, and an import (a read with no
 * state) goes to the resource's `import`.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { AgentEnvironment, type AgentEnvironmentArgs } from "../provider/agent-environment";
import type { ConfigSource } from "../provider/config";
import type { ProviderMethods } from "../provider/lifecycle";
import { createProvider as mesaRepo } from "../provider/mesa-repo/provider";
import { createProvider as mountedSandbox } from "../provider/mounted-sandbox/provider";
import { createProvider as sandboxCommand } from "../provider/sandbox-command/provider";
import { createProvider as superserveTemplate } from "../provider/superserve-template/provider";
import { constructArgs } from "./construct-args";
import { PLUGIN_CHILDREN } from "./resources";
import { unwrapSecrets, wrapSecrets } from "./secrets";
import { CUSTOM_RESOURCES, typeNameOf, type CustomResourceName } from "./types";

type Props = Record<string, unknown>;

const IMPLEMENTATIONS: Record<
  CustomResourceName,
  (config: ConfigSource | undefined) => ProviderMethods
> = {
  MesaRepo: mesaRepo,
  SuperserveTemplate: superserveTemplate,
  MountedSandbox: mountedSandbox,
  SandboxCommand: sandboxCommand,
};

/** The provider plugin: `version`, `schema` (JSON text) and the stack config from `Configure`. */
export function pluginProvider(options: {
  version: string;
  schema: string;
  config: ConfigSource;
}): provider.Provider {
  const instances = new Map<string, ProviderMethods>();
  const resourceOf = (urn: string) => {
    const name = typeNameOf(urn);
    if (!(name in IMPLEMENTATIONS)) throw new Error(`unknown resource type ${name}`);
    const type = name as CustomResourceName;
    let impl = instances.get(type);
    if (!impl) {
      impl = IMPLEMENTATIONS[type](options.config);
      instances.set(type, impl);
    }
    return { impl, encrypted: CUSTOM_RESOURCES[type].secretOutputs ?? [] };
  };
  /** Secret top-level properties of `props`: the ones it marks, and the type's encrypted ones. */
  const sealed = (props: Props | undefined, encrypted: readonly string[]): Props | undefined => {
    if (props === undefined) return undefined;
    const marked = Array.isArray(props.markedSecret) ? (props.markedSecret as string[]) : [];
    return wrapSecrets(props, [...encrypted, ...marked]);
  };
  /** Plain properties for the providers, with the names of the secret ones in `markedSecret`. */
  const opened = (props: Props): Props => {
    const { plain, secret } = unwrapSecrets(props);
    const marked = Array.isArray(plain.markedSecret) ? (plain.markedSecret as string[]) : [];
    const all = [...new Set([...marked, ...secret])].filter((k) => k !== "markedSecret");
    return all.length > 0 ? { ...plain, markedSecret: all } : plain;
  };

  return {
    version: options.version,
    schema: options.schema,

    async check(urn: string, olds: Props | undefined, news: Props) {
      const { impl, encrypted } = resourceOf(urn);
      const result = await impl.check(opened(olds ?? {}), { ...opened(news), pulumiUrn: urn });
      return { inputs: sealed(result.inputs as Props, encrypted), failures: result.failures };
    },

    async diff(id: string, urn: string, olds: Props, news: Props) {
      return resourceOf(urn).impl.diff(id, opened(olds), opened(news));
    },

    async create(urn: string, inputs: Props) {
      const { impl, encrypted } = resourceOf(urn);
      try {
        const result = await impl.create(opened(inputs));
        return { id: result.id, outs: sealed(result.outs as Props, encrypted) };
      } catch (err) {
        const partial = err as { id?: string; properties?: Props };
        if (partial.id && partial.properties) {
          delete partial.properties.__provider;
          partial.properties = sealed(partial.properties, encrypted);
        }
        throw err;
      }
    },

    async read(id: string, urn: string, props?: Props) {
      const { impl, encrypted } = resourceOf(urn);
      if (props === undefined || Object.keys(props).length === 0) {
        const imported = await impl.import(id, urn);
        if (!imported) return {};
        return {
          id: imported.id,
          props: sealed(imported.props, encrypted),
          inputs: sealed(imported.inputs, encrypted),
        };
      }
      const result = await impl.read(id, opened(props));
      return { id: result.id, props: sealed(result.props as Props | undefined, encrypted) };
    },

    async update(id: string, urn: string, olds: Props, news: Props) {
      const { impl, encrypted } = resourceOf(urn);
      const result = await impl.update(id, opened(olds), opened(news));
      return { outs: sealed(result.outs as Props, encrypted) };
    },

    async delete(id: string, urn: string, props: Props) {
      await resourceOf(urn).impl.delete(id, opened(props));
    },

    async construct(name, type, inputs, options) {
      if (typeNameOf(type) !== "AgentEnvironment") throw new Error(`unknown component ${type}`);
      const args = (await constructArgs(inputs)) as unknown as AgentEnvironmentArgs;
      const env = new AgentEnvironment(name, args, options, PLUGIN_CHILDREN);
      return {
        urn: env.urn,
        state: {
          repo: env.repo,
          template: env.template,
          sandboxResources: env.sandboxResources,
          agentCommands: env.agentCommands,
          sandboxes: env.sandboxes,
          mountPaths: env.mountPaths,
          workspaces: env.workspaces,
          agents: env.agents,
        } satisfies Record<string, pulumi.Input<unknown>>,
      };
    },
  };
}
