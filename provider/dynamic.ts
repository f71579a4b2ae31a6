/**
 * Program-side plumbing for this package's dynamic resources.
 *
 * Pulumi serializes the provider object of a dynamic resource into the state (`__provider`) and
 * runs it in a separate process. The object built here captures one string, the implementation
 * module's package path (`pulumi-superserve-mesa/dist/provider/<resource>/provider`): `configure`
 * loads that module by package name at run time (`require` resolves from the provider process's
 * cwd, the project directory) and every other method delegates to the provider it creates.
 * Credentials, SDKs and code never enter the state. Because states hold that path, package.json
 * exports `./dist/provider/<resource>/provider` beside the package's public entries.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";

/** Package name the serialized provider loads its implementation from. */
const PACKAGE_NAME = "pulumi-superserve-mesa";

/** Module part of the type tokens: `pulumi-nodejs:dynamic/superserve-mesa:<Type>`. */
const TYPE_MODULE = "superserve-mesa";

/** The full type token of a resource of this package, as shown by `pulumi preview`. */
function typeToken(typeName: string): string {
  return `pulumi-nodejs:dynamic/${TYPE_MODULE}:${typeName}`;
}

/**
 * A provider whose methods delegate to `createProvider(config)` exported by
 * `pulumi-superserve-mesa/dist/provider/<implModule>`, created once per provider process in
 * `configure` (which the dynamic provider host always calls first).
 */
function trampolineProvider(implModule: string): dynamic.ResourceProvider {
  let provider = trampolines.get(implModule);
  if (!provider) {
    provider = newTrampoline(implModule);
    trampolines.set(implModule, provider);
  }
  return provider;
}

/**
 * One trampoline per implementation module: Pulumi serializes a provider object once and reuses
 * the text for every resource that shares the object (a new object per resource costs ~10 ms each).
 */
const trampolines = new Map<string, dynamic.ResourceProvider>();

function newTrampoline(implModule: string): dynamic.ResourceProvider {
  const modulePath = `${PACKAGE_NAME}/dist/provider/${implModule}`;
  return {
    async configure(this: Trampoline, req: dynamic.ConfigureRequest) {
      const impl = require(modulePath) as { createProvider(config: unknown): Trampoline["impl"] };
      this.impl = impl.createProvider(req.config);
    },
    async check(this: Trampoline, olds, news) {
      return this.impl.check(olds, news);
    },
    async diff(this: Trampoline, id, olds, news) {
      return this.impl.diff(id, olds, news);
    },
    async create(this: Trampoline, inputs) {
      return this.impl.create(inputs);
    },
    async read(this: Trampoline, id, props) {
      return this.impl.read(id, props);
    },
    async update(this: Trampoline, id, olds, news) {
      return this.impl.update(id, olds, news);
    },
    async delete(this: Trampoline, id, props) {
      return this.impl.delete(id, props);
    },
  } as dynamic.ResourceProvider;
}

interface Trampoline {
  impl: Required<Omit<dynamic.ResourceProvider, "configure">>;
}

/**
 * The resource's URN as an Output that carries no resource dependency. `createUrn` depends on the
 * parent, and depending on a component means depending on all of its children: two children of
 * one component that each carried their parent's URN as an input would wait for each other forever.
 */
function urnWithoutDependencies(
  name: string,
  type: string,
  parent: pulumi.Resource | undefined,
): pulumi.Output<string> {
  const urn = pulumi.createUrn(name, type, parent);
  return pulumi.output(new Promise<string>((resolve) => urn.apply(resolve)));
}

/**
 * Names of the top-level inputs whose values are secret (marked with `pulumi.secret` or derived
 * from a secret, anywhere inside): the provider process sees plain values only, so it learns from
 * this input which values to keep out of what it prints.
 */
function markedSecret(inputs: Record<string, unknown>): pulumi.Output<string[]> {
  const marks = Object.entries(inputs).map(async ([key, value]) =>
    value !== undefined && (await pulumi.isSecret(pulumi.output(value))) ? key : undefined,
  );
  return pulumi
    .output(Promise.all(marks))
    .apply((keys) => keys.filter((key): key is string => key !== undefined));
}

/** What a resource class passes to {@link PackageResource}; `O` is its provider's outputs type. */
export interface PackageResourceSpec<O extends object> {
  /** Type name, e.g. "MesaRepo". */
  typeName: string;
  /** Implementation module under `dist/provider/`, e.g. "mesa-repo/provider". */
  implModule: string;
  /** Output property names (declared so they resolve even when the provider omits them). */
  outputs: readonly (keyof O & string)[];
  /** Outputs to encrypt in the state. */
  secretOutputs?: readonly (keyof O & string)[];
}

/**
 * Base class of this package's resources: readable type token, serialized trampoline, the URN
 * input used to tag created objects, the names of the secret inputs, output declarations and
 * secret outputs.
 */
export abstract class PackageResource<O extends object> extends pulumi.dynamic.Resource {
  protected constructor(
    spec: PackageResourceSpec<O>,
    name: string,
    inputs: Record<string, unknown>,
    opts: pulumi.CustomResourceOptions | undefined,
  ) {
    const props: Record<string, unknown> = {};
    for (const output of spec.outputs) props[output] = undefined;
    Object.assign(props, inputs, {
      pulumiUrn: urnWithoutDependencies(name, typeToken(spec.typeName), opts?.parent),
      markedSecret: markedSecret(inputs),
    });
    super(
      trampolineProvider(spec.implModule),
      name,
      props,
      {
        ...opts,
        additionalSecretOutputs: [
          ...(opts?.additionalSecretOutputs ?? []),
          ...(spec.secretOutputs ?? []),
        ],
      },
      TYPE_MODULE,
      spec.typeName,
    );
  }
}
