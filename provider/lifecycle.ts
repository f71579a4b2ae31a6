/**
 * The lifecycle every resource of this package shares, written once: `check` (validation that
 * tolerates unknowns, autonaming, credentials present), `diff` (exact replaces from a per-field
 * table), idempotent `create` with explicit adoption, `read` for refresh, `update`, and `delete`
 * that succeeds when the object is already gone — with deadlines and retries around every call.
 *
 * A resource supplies a {@link ResourceDefinition}; {@link defineProvider} turns it into the object
 * the dynamic-provider trampoline (see `dynamic.ts`) delegates to inside the provider process.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import {
  MissingCredentialsError,
  missingCredentialsMessage,
  resolveMesaSettings,
  resolveSuperserveSettings,
  type ConfigInputs,
  type ConfigSource,
  type MesaSettings,
  type SuperserveSettings,
} from "./config";
import { logSinkFromArgv, progressLog, type LogSink, type ProgressLog } from "./engine-log";
import { autoname, hashSuffix, logicalNameOf, nameProblem, type NameRules, type SuffixSource } from "./naming";
import { systemClock, withRetry, type FailureKind, type RetryClock } from "./retry";

/** The placeholder the engine sends for values not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when `value` (or anything inside it) is not known yet (preview). */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** Inputs the plumbing adds to every resource. */
export interface CommonInputs {
  /** The resource's URN, computed in the program; tagged onto created objects. */
  pulumiUrn: string;
  /** Adopt this existing object instead of creating one. */
  adopt?: { name: string };
  /** Set by `check` when the name was generated (a generated name is ours to adopt on retry). */
  autonamed?: boolean;
}

/** How a change of an input affects the live object. */
export interface FieldRule {
  /** `update`: patched in place; `replace`: a new object; `none`: never changes the object. */
  change: "update" | "replace" | "none";
  /** The service fills a default when unset: an unset input then means "keep what is there". */
  serviceDefault?: boolean;
}

/** One failed validation, naming the field and the fix. */
export interface CheckFailure {
  property: string;
  reason: string;
}

/** Services a resource talks to; `check` fails at preview when one has no credentials. */
export type Service = "mesa" | "superserve";

/** What each operation gets from the plumbing. */
export interface OperationContext {
  urn: string;
  /** Absolute deadline (ms since epoch on `clock`). */
  deadline: number;
  clock: RetryClock;
  log: ProgressLog;
  mesa(): Promise<MesaSettings>;
  superserve(): Promise<SuperserveSettings>;
  /** Run `fn` with retries of transient failures until the operation's deadline. */
  retry<T>(operation: string, fn: () => Promise<T>, classify?: (err: unknown) => FailureKind): Promise<T>;
}

/** A resource's behaviour; the plumbing does the rest. */
export interface ResourceDefinition<I extends CommonInputs, O extends I> {
  /** Type name for messages, e.g. "MesaRepo". */
  typeName: string;
  services: readonly Service[];
  /** Every input except the common ones, with how it changes the object. */
  fields: { readonly [K in Exclude<keyof I, keyof CommonInputs>]-?: FieldRule };
  /** Rules for `name`; when set, an unset name is autonamed in `check`. */
  nameRules?: NameRules;
  /** Deadline of one create/update/read/delete in seconds. */
  timeoutSeconds(inputs: I): number;
  /** Validate fields (skip unknown values) and fill defaults. */
  validate(inputs: I): CheckFailure[];
  /**
   * Fill defaults that only the service knows (e.g. the API key's org) into valid inputs, so they
   * stay known in previews: dependents would otherwise see them as unknown and plan replacements.
   */
  serviceDefaults?(inputs: I, olds: Partial<I>, settings: { mesa(): Promise<MesaSettings> }): Promise<void>;
  /** Find and adopt an object created by an earlier, interrupted create of this URN, or create one. */
  create(inputs: I, ctx: OperationContext): Promise<{ id: string; outs: O }>;
  /** Take over an existing object named by `inputs.adopt`, bringing it to `inputs`. */
  adopt(inputs: I, ctx: OperationContext): Promise<{ id: string; outs: O }>;
  /** Live state, or undefined when the object no longer exists. */
  read(id: string, state: O, ctx: OperationContext): Promise<O | undefined>;
  update(id: string, olds: O, news: I, ctx: OperationContext): Promise<O>;
  /** Delete; must succeed when the object is already gone. */
  delete(id: string, state: O, ctx: OperationContext): Promise<void>;
}

/**
 * Thrown from `create` when the object exists but could not be finished: the engine records the
 * id so the next run updates or deletes it instead of leaking it.
 */
export class PartialCreateError extends Error {
  constructor(
    readonly id: string,
    readonly properties: Record<string, unknown>,
    message: string,
  ) {
    super(message);
    this.name = "PartialCreateError";
  }
  get reasons(): string[] {
    return [this.message];
  }
}

/** Everything a provider process needs from its surroundings, injectable for tests. */
export interface ProviderEnvironment {
  env: NodeJS.ProcessEnv;
  cwd: string;
  clock: RetryClock;
  logSink: LogSink;
  suffix: SuffixSource;
  /** See {@link ConfigInputs.answers}. */
  answers?: ConfigInputs["answers"];
}

/** The real surroundings of a dynamic provider process. */
export function processEnvironment(): ProviderEnvironment {
  return {
    env: process.env,
    cwd: process.cwd(),
    clock: systemClock,
    logSink: logSinkFromArgv(process.argv),
    suffix: hashSuffix,
  };
}

/** The methods the trampoline calls (the shape of `dynamic.ResourceProvider`). */
export type ProviderMethods = Required<Omit<dynamic.ResourceProvider, "configure">>;

type Props = Record<string, unknown>;
const PROVIDER_KEY = "__provider";

/** Build the provider methods for a definition, with stack config from `configure`. */
export function defineProvider<I extends CommonInputs, O extends I>(
  def: ResourceDefinition<I, O>,
  config: ConfigSource | undefined,
  environment: ProviderEnvironment = processEnvironment(),
): ProviderMethods {
  const { clock } = environment;
  const configInputs: ConfigInputs = { config, env: environment.env, cwd: environment.cwd, answers: environment.answers };

  const context = (inputs: CommonInputs): OperationContext => {
    const deadline = clock.now() + def.timeoutSeconds(inputs as I) * 1000;
    const log = progressLog(environment.logSink, inputs.pulumiUrn ?? "");
    return {
      urn: inputs.pulumiUrn,
      deadline,
      clock,
      log,
      mesa: () => resolveMesaSettings(configInputs),
      superserve: () => resolveSuperserveSettings(configInputs),
      retry: (operation, fn, classify) =>
        withRetry(fn, {
          operation,
          policy: { baseDelayMs: 250, maxDelayMs: 10_000, deadline },
          clock,
          classify,
          onRetry: ({ attempt, delayMs, error }) =>
            log.status(`${operation}: transient failure (${describeStatus(error)}), retry ${attempt} in ${delayMs} ms`),
        }),
    };
  };

  const fieldNames = Object.keys(def.fields) as (keyof I & string)[];

  return {
    async check(olds: Props, news: Props) {
      const inputs = { ...news } as Props;
      delete inputs[PROVIDER_KEY];
      const failures: CheckFailure[] = [];
      if (typeof inputs.pulumiUrn !== "string" || inputs.pulumiUrn === "") {
        failures.push({ property: "pulumiUrn", reason: "Internal input missing; construct the resource through this package's classes." });
      }
      failures.push(...checkAdopt(inputs.adopt));
      if (def.nameRules) {
        const replaceFields = fieldNames.filter((f) => f !== "name" && (def.fields[f as Exclude<keyof I, keyof CommonInputs>] as FieldRule).change === "replace");
        nameDefaults(def.nameRules, olds, inputs, replaceFields, environment.suffix, failures);
      }
      failures.push(...def.validate(inputs as unknown as I));
      // Missing credentials are one check failure — one clean line in the preview naming what to
      // set — rather than a thrown error, which the dynamic-provider host prints with a stack trace.
      const missing: MissingCredentialsError[] = [];
      for (const service of def.services) {
        try {
          if (service === "mesa") await resolveMesaSettings(configInputs);
          else await resolveSuperserveSettings(configInputs);
        } catch (error) {
          if (!(error instanceof MissingCredentialsError)) throw error;
          missing.push(error);
        }
      }
      if (missing.length > 0) {
        failures.push({
          property: "",
          reason: missingCredentialsMessage(missing),
        });
      }
      if (failures.length === 0 && def.serviceDefaults) {
        await def.serviceDefaults(inputs as unknown as I, olds as Partial<I>, { mesa: () => resolveMesaSettings(configInputs) });
      }
      return { inputs, failures };
    },

    async diff(_id: string, olds: Props, news: Props) {
      const replaces: string[] = [];
      let changes = false;
      if (news.adopt !== undefined && !sameValue(olds.adopt, news.adopt)) {
        // Adopting another object into an existing resource: take it over, then delete the old one.
        changes = true;
        replaces.push("adopt");
      }
      for (const field of fieldNames) {
        const rule = def.fields[field as Exclude<keyof I, keyof CommonInputs>] as FieldRule;
        if (rule.change === "none") continue;
        const next = news[field];
        if (next === undefined && rule.serviceDefault) continue;
        if (sameValue(olds[field], next)) continue;
        changes = true;
        if (rule.change === "replace") replaces.push(field);
      }
      return { changes, replaces, deleteBeforeReplace: false };
    },

    async create(props: Props) {
      const inputs = strip(props) as unknown as I;
      const ctx = context(inputs);
      try {
        const result = inputs.adopt ? await def.adopt(inputs, ctx) : await def.create(inputs, ctx);
        return { id: result.id, outs: result.outs };
      } catch (err) {
        if (err instanceof PartialCreateError) {
          // The host does not add the serialized provider to a partial create's properties;
          // without it the engine could not update or delete the recorded object later.
          (err.properties as Props)[PROVIDER_KEY] = props[PROVIDER_KEY];
        }
        throw err;
      }
    },

    async read(id: string, props: Props) {
      const state = strip(props) as unknown as O;
      const live = await def.read(id, state, context(state));
      return live ? { id, props: live } : {};
    },

    async update(id: string, olds: Props, news: Props) {
      const state = strip(olds) as unknown as O;
      const inputs = strip(news) as unknown as I;
      return { outs: await def.update(id, state, inputs, context(inputs)) };
    },

    async delete(id: string, props: Props) {
      const state = strip(props) as unknown as O;
      await def.delete(id, state, context(state));
    },
  };
}

function strip(props: Props): Props {
  const copy = { ...props };
  delete copy[PROVIDER_KEY];
  return copy;
}

function describeStatus(err: unknown): string {
  const e = err as { status?: number; statusCode?: number; message?: string };
  return e?.status ?? e?.statusCode ? `HTTP ${e.status ?? e.statusCode}` : (e?.message ?? "network error");
}

function checkAdopt(adopt: unknown): CheckFailure[] {
  if (adopt === undefined || containsUnknown(adopt)) return [];
  const name = (adopt as { name?: unknown })?.name;
  if (typeof adopt !== "object" || adopt === null || typeof name !== "string" || name === "") {
    return [{ property: "adopt", reason: 'adopt must be { name: "<existing name>" }, naming the object to take over.' }];
  }
  return [];
}

/** Fill `name`: the user's, the adopted object's, the previous autoname, or a fresh autoname. */
function nameDefaults(rules: NameRules, olds: Props, inputs: Props, replaceFields: string[], suffix: SuffixSource, failures: CheckFailure[]): void {
  const name = inputs.name;
  if (name === UNKNOWN) return;
  if (name !== undefined) {
    inputs.autonamed = false;
    if (typeof name !== "string") failures.push({ property: "name", reason: `${rules.what} must be a string.` });
    else {
      const problem = nameProblem(name, rules);
      if (problem) failures.push({ property: "name", reason: problem });
    }
    return;
  }
  const adopted = (inputs.adopt as { name?: unknown } | undefined)?.name;
  if (typeof adopted === "string" && adopted !== UNKNOWN) {
    inputs.name = adopted;
    inputs.autonamed = false;
    return;
  }
  if (olds.autonamed === true && typeof olds.name === "string") {
    inputs.name = olds.name;
  } else {
    const urn = typeof inputs.pulumiUrn === "string" ? inputs.pulumiUrn : "resource";
    const seed = [urn, ...replaceFields.map((f) => inputs[f] ?? null)];
    inputs.name = containsUnknown(seed) ? UNKNOWN : autoname(logicalNameOf(urn), JSON.stringify(seed), rules, suffix);
  }
  inputs.autonamed = true;
}

/** Structural equality of JSON values, treating absent and undefined alike. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return a == b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => sameValue(v, b[i]));
  }
  if (typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a as Props), ...Object.keys(b as Props)]);
    for (const k of keys) if (!sameValue((a as Props)[k], (b as Props)[k])) return false;
    return true;
  }
  return false;
}
