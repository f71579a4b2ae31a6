/**
 * The args of a `SuperserveTemplate`, as a program writes them: each documented with its default,
 * an example, and a caution where a change replaces the template (the README's reference is
 * generated from this TSDoc by `scripts/api-docs.ts`).
 */
import type * as pulumi from "@pulumi/pulumi";

/** One build step, run in order on top of `from`. */
export type SuperserveTemplateStep =
  | { run: pulumi.Input<string> }
  | { env: pulumi.Input<{ key: pulumi.Input<string>; value: pulumi.Input<string> }> }
  | { workdir: pulumi.Input<string> }
  | { user: pulumi.Input<{ name: pulumi.Input<string>; sudo?: pulumi.Input<boolean> }> };

export interface SuperserveTemplateArgs {
  /**
   * Template name, unique in your Superserve team.
   *
   * Caution: changing it replaces the template.
   * @default `<resource name>-<hash>` (7 hex digits of the URN and the inputs that force replacement); autonamed templates are replaced create-before-delete,
   * so sandboxes keep a ready template during the change.
   * @example
   * ```ts
   * { name: "agent-base" }
   * ```
   */
  name?: pulumi.Input<string>;
  /**
   * Base image or template to build on.
   *
   * Caution: changing it replaces the template (a new build).
   * @example
   * ```ts
   * { from: "ubuntu:24.04" }
   * ```
   */
  from: pulumi.Input<string>;
  /**
   * Build steps, run in order: shell commands, environment variables, working directory, user.
   *
   * Caution: any change replaces the template (a new build).
   * @default `[]`
   * @example
   * ```ts
   * {
   *   steps: [
   *     { run: "apt-get update && apt-get install -y ripgrep git" },
   *     { env: { key: "EDITOR", value: "vim" } },
   *     { workdir: "/home/user" },
   *   ],
   * }
   * ```
   */
  steps?: pulumi.Input<pulumi.Input<SuperserveTemplateStep>[]>;
  /**
   * Virtual CPUs of sandboxes made from the template, 1 to 4.
   *
   * Caution: changing it replaces the template.
   * @default the service's default (1)
   * @example
   * ```ts
   * { vcpu: 2 }
   * ```
   */
  vcpu?: pulumi.Input<number>;
  /**
   * Memory of sandboxes made from the template, in MiB: 256 to 4096.
   *
   * Caution: changing it replaces the template.
   * @default the service's default (1024)
   * @example
   * ```ts
   * { memoryMib: 4096 }
   * ```
   */
  memoryMib?: pulumi.Input<number>;
  /**
   * Disk of sandboxes made from the template, in MiB: 1024 to 8192.
   *
   * Caution: changing it replaces the template.
   * @default the service's default (4096)
   * @example
   * ```ts
   * { diskMib: 8192 }
   * ```
   */
  diskMib?: pulumi.Input<number>;
  /**
   * Command started when a sandbox boots.
   *
   * Caution: changing it replaces the template.
   * @default none
   * @example
   * ```ts
   * { startCmd: "python3 -m http.server 8080" }
   * ```
   */
  startCmd?: pulumi.Input<string>;
  /**
   * Command that must succeed before a sandbox counts as ready.
   *
   * Caution: changing it replaces the template.
   * @default none
   * @example
   * ```ts
   * { readyCmd: "curl -fs localhost:8080" }
   * ```
   */
  readyCmd?: pulumi.Input<string>;
  /**
   * Longest time a build may take. A build still running then is cancelled, its template
   * deleted, and the update fails with the last build log lines. Changing it never rebuilds.
   * @default 1800
   * @example
   * ```ts
   * { buildTimeoutSeconds: 3600 }
   * ```
   */
  buildTimeoutSeconds?: pulumi.Input<number>;
  /**
   * Print every build log line in the `pulumi up` output. By default log lines only scroll by
   * in the resource's status while it builds, and the last lines are printed if the build fails.
   * @default false
   */
  verboseBuildLogs?: pulumi.Input<boolean>;
  /**
   * Take over an existing template instead of creating one (the dynamic resources cannot be
   * imported; the provider plugin's can, by name or id: see README, "Import"). It is then deleted on destroy like one created here; combine with
   * `retainOnDelete: true` to leave it in place. Only read on create.
   * @default create a new template
   * @example
   * ```ts
   * { adopt: { name: "team-base" }, from: "ubuntu:24.04" }
   * ```
   */
  adopt?: pulumi.Input<{ name: pulumi.Input<string> }>;
}
