/**
 * The local egress layer: every sandbox's only way out. One HTTP proxy per sandbox on a Unix
 * socket (the sandbox's network namespace bridges 127.0.0.1:3128 to it), enforcing the
 * sandbox's `allow_out`/`deny_out`, writing the network log, swapping secret placeholders for
 * real values toward the secrets' hosts, and serving the vendor hosts from the local backends
 * over TLS with a local CA the sandboxes trust.
 */
import { lookup } from "node:dns/promises";
import { join } from "node:path";
import type { Clock } from "../../shared/clock";
import type { SandboxEgress } from "../runtime/types";
import type { SuperserveStore } from "../store/store";
import { LocalCa } from "./local-ca";
import { EgressPolicy, type EgressRules } from "./policy";
import { SandboxProxy, type Resolver } from "./sandbox-proxy";
import type { BoundSecret } from "./secret-injection";
import { ServedHosts } from "./served-hosts";
import { socketPathFor } from "./socket-path";

export { ALLOW_ALL, EgressPolicy, RuleError, type EgressRules } from "./policy";
export { placeholderFor } from "./placeholder";
export type { BoundSecret } from "./secret-injection";

/** Options of {@link EgressLayer.open}. */
export interface EgressLayerOptions {
  /** Where the local CA (key mode 0600, certificate) and, when the path is short enough, the sockets live. */
  stateDir: string;
  /** The network log and audit events are written here. */
  store: SuperserveStore;
  /** The secrets bound to a sandbox with their placeholders, read at every request (bindings and rotations apply at once). */
  secrets: (sandboxId: string) => BoundSecret[];
  /** Time of the log rows. */
  clock: Clock;
  /**
   * Base URL of the local Mesa REST API (`LocalMesa.url`, `http://127.0.0.1:PORT/v1`), which
   * `api.mesa.dev` and `vcs.mesa.dev` are forwarded to. Unset: those hosts answer 502.
   */
  mesaUrl?: string;
  /**
   * Host names served by loopback test servers, e.g. `{ "api.example.test": "http://127.0.0.1:PORT" }`:
   * a sandbox's `https://api.example.test/...` reaches that server (TLS terminated with the local
   * CA, secrets for the host swapped in). Only these and the local Mesa may target loopback.
   */
  upstreams?: Record<string, string>;
  /** Name resolution of the destinations. @default the system resolver, IPv4 first */
  resolve?: Resolver;
}

/** The system resolver, preferring IPv4 (the documented rules are IPv4 CIDRs). */
const systemResolve: Resolver = async (host) => {
  const all = await lookup(host, { all: true });
  const best = all.find((a) => a.family === 4) ?? all[0];
  if (!best) throw new Error(`${host} has no address`);
  return best.address;
};

/** The egress layer of one local Superserve (see the module comment). */
export class EgressLayer {
  private readonly proxies = new Map<
    string,
    { proxy: SandboxProxy; rules: { policy: EgressPolicy }; egress: SandboxEgress }
  >();

  private constructor(
    private readonly opts: EgressLayerOptions,
    private readonly ca: LocalCa,
    private readonly served: ServedHosts,
  ) {}

  /** Opens the layer: loads (or creates) the CA in `stateDir` and checks the options. */
  static async open(opts: EgressLayerOptions): Promise<EgressLayer> {
    const served = new ServedHosts({
      ...(opts.mesaUrl !== undefined && { mesaUrl: opts.mesaUrl }),
      ...(opts.upstreams && { upstreams: opts.upstreams }),
    });
    return new EgressLayer(opts, await LocalCa.open(join(opts.stateDir, "ca")), served);
  }

  /** The CA certificate (PEM) sandboxes trust; its key never leaves the host side. */
  get caCertFile(): string {
    return this.ca.certFile;
  }

  /**
   * Serves `sandboxId`'s proxy under `rules` and answers where. Idempotent: a second attach
   * applies `rules` and answers the same socket, and after a restart the same path is opened again.
   */
  async attach(sandboxId: string, rules: EgressRules): Promise<SandboxEgress> {
    const current = this.proxies.get(sandboxId);
    if (current) {
      this.update(sandboxId, rules);
      return current.egress;
    }
    const egress = {
      socketPath: socketPathFor(this.opts.stateDir, sandboxId),
      caCertFile: this.caCertFile,
    };
    const live = { policy: EgressPolicy.compile(rules) };
    const proxy = new SandboxProxy({
      sandboxId,
      socketPath: egress.socketPath,
      policy: () => live.policy,
      secrets: () => this.opts.secrets(sandboxId),
      ca: this.ca,
      served: this.served,
      store: this.opts.store,
      clock: this.opts.clock,
      resolve: this.opts.resolve ?? systemResolve,
    });
    this.proxies.set(sandboxId, { proxy, rules: live, egress });
    try {
      await proxy.listen();
    } catch (err) {
      this.proxies.delete(sandboxId);
      throw err;
    }
    return egress;
  }

  /** Replaces the rules of an attached sandbox; new connections follow them at once. */
  update(sandboxId: string, rules: EgressRules): void {
    const entry = this.proxies.get(sandboxId);
    if (entry) entry.rules.policy = EgressPolicy.compile(rules);
  }

  /** Stops serving the sandbox (its open connections end); a no-op when it is not attached. */
  async detach(sandboxId: string): Promise<void> {
    const entry = this.proxies.get(sandboxId);
    if (!entry) return;
    this.proxies.delete(sandboxId);
    await entry.proxy.close();
  }

  /** Detaches every sandbox. */
  async close(): Promise<void> {
    await Promise.all([...this.proxies.keys()].map((id) => this.detach(id)));
  }
}
