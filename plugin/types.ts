/**
 * The plugin's package and type tokens: `superserve-mesa:index:<Type>`, the same resources as the
 * TypeScript package's dynamic ones (`pulumi-nodejs:dynamic/superserve-mesa:<Type>`).
 */
import { MESA_REPO_SPEC } from "../provider/mesa-repo/resource";
import { MOUNTED_SANDBOX_SPEC } from "../provider/mounted-sandbox/resource";
import { SANDBOX_COMMAND_SPEC } from "../provider/sandbox-command/resource";
import { SUPERSERVE_TEMPLATE_SPEC } from "../provider/superserve-template/resource";

/** The plugin's package name (its binary is `pulumi-resource-superserve-mesa`). */
export const PACKAGE_NAME = "superserve-mesa";

/** The custom resources the plugin serves, each with how the engine sees it. */
export const CUSTOM_RESOURCES = {
  MesaRepo: MESA_REPO_SPEC,
  SuperserveTemplate: SUPERSERVE_TEMPLATE_SPEC,
  MountedSandbox: MOUNTED_SANDBOX_SPEC,
  SandboxCommand: SANDBOX_COMMAND_SPEC,
} as const;

export type CustomResourceName = keyof typeof CUSTOM_RESOURCES;

/** The components the plugin constructs. */
export const COMPONENTS = ["AgentEnvironment"] as const;

export function typeToken(name: string): string {
  return `${PACKAGE_NAME}:index:${name}`;
}

/**
 * The type name in a type token (`superserve-mesa:index:MesaRepo`) or a URN (whose type part is
 * `<parent types>$superserve-mesa:index:MesaRepo`).
 */
export function typeNameOf(tokenOrUrn: string): string {
  const token = tokenOrUrn.includes("::")
    ? tokenOrUrn.split("::")[2].split("$").pop()!
    : tokenOrUrn;
  const [pkg, module, name] = token.split(":");
  if (pkg !== PACKAGE_NAME || module !== "index" || !name)
    throw new Error(`${tokenOrUrn} is not a type of the ${PACKAGE_NAME} package`);
  return name;
}
