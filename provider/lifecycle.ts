/**
 * The lifecycle every resource of this package shares, written once: `check` (validation that
 * tolerates unknowns, autonaming, credentials present), `diff` (exact replaces from a per-field
 * table, plus the resource's state diff), idempotent `create` with explicit adoption, `read` for
 * refresh, `update`, and `delete` that succeeds when the object is already gone — with deadlines
 * and retries around every call, and the Mesa org resolved in one place. Names given by the
 * program are verified against the services at `check` (bounded: a slow service only warns), and
 * no secret value reaches what the engine prints (see `redact.ts`).
 *
 * A resource supplies a {@link ResourceDefinition} (in `<resource>/provider.ts`); {@link
 * defineProvider} turns it into the object the dynamic-provider trampoline (see `dynamic.ts`)
 * delegates to inside the provider process.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { resolveMesaOrg } from "./clients";
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
import { offsetClock } from "./clock-offset";
import { logSinkFromArgv, progressLog, type LogSink, type ProgressLog } from "./engine-log";
import {
  autoname,
  hashSuffix,
  logicalNameOf,
  nameProblem,
  type NameRules,
  type SuffixSource,
} from "./naming";
import { redactError, redactorFor, type Redactor } from "./redact";
import { describeError, systemClock, withRetry, type FailureKind, type RetryClock } from "./retry";

/** The placeholder the engine sends for values not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when `value` (or anything inside it) is not known yet (preview). */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/**
 * Key of the tag carrying the Pulumi URN of the resource that created (or adopted) an object — a
 * Mesa repo's tag, a Superserve sandbox's metadata — so a create retried after an interrupted run
 * finds what it left behind. Reserved: users cannot set it.
 */
export const URN_TAG = "pulumi-urn";

/** Inputs the plumbing adds to every resource. */
export interface CommonInputs {
  /** The resource's URN, computed in the program; tagged onto created objects. */
  pulumiUrn: string;
  /** Adopt this existing object instead of creating one. */
  adopt?: { name: string };
  /** Set by `check` when the name was generated (a generated name is ours to adopt on retry). */
  autonamed?: boolean;
  /** Top-level inputs whose values the program marked secret (set by the resource class). */
  markedSecret?: string[];
  /**
   * Inputs the service does not report, absent from the state since `pulumi import`: the program's
   * values are taken as they are until the program changes them (see {@link ImportedObject}).
   */
  unreported?: string[];
}

/** How a change of an input affects the live object. */
export interface FieldRule {
  /** `update`: patched in place; `replace`: a new object; `none`: never changes the object. */
  change: "update" | "replace" | "none";
  /** The service fills a default when unset: an unset input then means "keep what is there". */
  serviceDefault?: boolean;
}

/**
 * One failed validation, naming the field and the fix. `property` is the field's path in the
 * program's terms (`envVars.MESA_TOKEN`, `repos[0].fork`), or "" for the resource as a whole.
 */
export interface CheckFailure {
  property: string;
  reason: string;
}

/**
 * Deadline of the lookups `check` makes ({@link ResourceDefinition.verifyReferences}), retries
 * included. A service slower than this only costs a warning: preview goes on, and `up` fails
 * with the service's own answer if the name really does not exist.
 */
export const CHECK_LOOKUP_SECONDS = 20;

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
  /** `org` when set, else the configured Mesa org, else the API key's (asked with retries). */
  mesaOrg(org?: string): Promise<string>;
  superserve(): Promise<SuperserveSettings>;
  /**
   * Run `fn` with retries of transient failures until the operation's deadline (or `until`, when
   * earlier); `fn` gets the attempt's number (from 1), so a non-idempotent call can look for what
   * a lost attempt did.
   */
  retry<T>(
    operation: string,
    fn: (attempt: number) => Promise<T>,
    classify?: (err: unknown) => FailureKind,
    until?: number,
  ): Promise<T>;
}

/** A resource's behaviour; the plumbing does the rest. */
export interface ResourceDefinition<I extends CommonInputs, O extends I> {
  /** Type name for messages, e.g. "MesaRepo". */
  typeName: string;
  services: readonly Service[];
  /** Every input except the common ones, with how it changes the object. */
  fields: { readonly [K in Exclude<keyof I, keyof CommonInputs>]-?: FieldRule };
  /** Inputs stored encrypted in the state (the resource's `additionalSecretOutputs`): never printed. */
  encryptedInputs: readonly (Exclude<keyof I, keyof CommonInputs> & string)[];
  /** Rules for `name`; when set, an unset name is autonamed in `check`. */
  nameRules?: NameRules;
  /** Deadline of one create/update/read/delete in seconds. */
  timeoutSeconds(inputs: I): number;
  /** Validate fields (skip unknown values) and fill defaults. */
  validate(inputs: I): CheckFailure[];
  /**
   * Check, against the services, that the objects valid inputs name exist (a template, a repo), so
   * a typo fails at preview. Returns a failure only for a definite "not found"; a thrown error
   * (the service slow or unreachable until {@link CHECK_LOOKUP_SECONDS}) becomes a warning.
   */
  verifyReferences?(inputs: I, ctx: OperationContext): Promise<CheckFailure[]>;
  /**
   * Fill defaults that only the service knows (e.g. the API key's org) into valid inputs, so they
   * stay known in previews: dependents would otherwise see them as unknown and plan replacements.
   */
  serviceDefaults?(
    inputs: I,
    olds: Partial<I>,
    services: { mesaOrg(): Promise<string> },
  ): Promise<void>;
  /**
   * What the field table cannot see: state that `up` must repair even when no input changed (a
   * failed object to replace, an expiring credential to renew). Merged into `diff`.
   */
  stateDiff?(olds: Partial<O>, news: Partial<I>, nowMs: number): StateDiff;
  /** Find and adopt an object created by an earlier, interrupted create of this URN, or create one. */
  create(inputs: I, ctx: OperationContext): Promise<{ id: string; outs: O }>;
  /** Take over an existing object named by `inputs.adopt`, bringing it to `inputs`. */
  adopt(inputs: I, ctx: OperationContext): Promise<{ id: string; outs: O }>;
  /** Live state, or undefined when the object no longer exists. */
  read(id: string, state: O, ctx: OperationContext): Promise<O | undefined>;
  update(id: string, olds: O, news: I, ctx: OperationContext): Promise<O>;
  /** Delete; must succeed when the object is already gone. */
  delete(id: string, state: O, ctx: OperationContext): Promise<void>;
  /**
   * `pulumi import`: the object `id` names (the id the README documents for the resource), or
   * undefined when there is none — or, for a resource that cannot be imported, `{ refusal }`: why
   * not and what to do instead, the message the import fails with.
   */
  import:
    | ((id: string, ctx: OperationContext) => Promise<ImportedObject<O> | undefined>)
    | { refusal: string };
}

/**
 * What `import` found: the object's id, its state as a create would have recorded it (minus what
 * the service does not report), and the names of those unreported inputs. The first `up` after
 * the import takes the program's values for them without planning a change; a later change of
 * one of them is a change like any other.
 */
export interface ImportedObject<O> {
  id: string;
  outs: O;
  unreported: string[];
}

/** Changes and replaces found by {@link ResourceDefinition.stateDiff}. */
export interface StateDiff {
  changes: boolean;
  replaces: string[];
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
function processEnvironment(): ProviderEnvironment {
  return {
    env: process.env,
    cwd: process.cwd(),
    clock: offsetClock(systemClock, process.env),
    logSink: logSinkFromArgv(process.argv),
    suffix: hashSuffix,
  };
}

/**
 * The methods the trampoline calls (the shape of `dynamic.ResourceProvider`), and `import`, which
 * only the provider plugin calls (the engine imports plugin resources only): the state and the
 * checked inputs of the object an import id names, or undefined when there is none.
 */
export type ProviderMethods = Required<Omit<dynamic.ResourceProvider, "configure">> & {
  import(id: string, urn: string): Promise<{ id: string; props: Props; inputs: Props } | undefined>;
};

type Props = Record<string, unknown>;
const PROVIDER_KEY = "__provider";
/** How long `check` retries the one backend call it makes (the API key's org). */
const CHECK_RETRY_MS = 60_000;

/** Build the provider methods for a definition, with stack config from `configure`. */
export function defineProvider<I extends CommonInputs, O extends I>(
  def: ResourceDefinition<I, O>,
  config: ConfigSource | undefined,
  environment: ProviderEnvironment = processEnvironment(),
): ProviderMethods {
  const { clock } = environment;
  const configInputs: ConfigInputs = {
    config,
    env: environment.env,
    cwd: environment.cwd,
    answers: environment.answers,
  };
  /** The configured Mesa org, else the API key's (`/whoami`). */
  const mesaOrgOfSettings = async () => resolveMesaOrg(await resolveMesaSettings(configInputs));

  /** Retries of transient failures until `deadline`, each reported as progress. */
  const retryUntil =
    (deadline: number, log: ProgressLog): OperationContext["retry"] =>
    (operation, fn, classify, until) =>
      withRetry(fn, {
        operation,
        policy: {
          baseDelayMs: 250,
          maxDelayMs: 10_000,
          deadline: Math.min(deadline, until ?? deadline),
        },
        clock,
        classify,
        onRetry: ({ attempt, delayMs, error }) =>
          log.status(
            `${operation}: transient failure (${describeStatus(error)}), retry ${attempt} in ${delayMs} ms`,
          ),
      });
  /** The Mesa org `check` fills in, with retries: `check` has no deadline of its own, so one of a minute. */
  const mesaOrgWithRetries = (urn: unknown) =>
    retryUntil(
      clock.now() + CHECK_RETRY_MS,
      progressLog(environment.logSink, typeof urn === "string" ? urn : ""),
    )("resolve the Mesa org of the API key", mesaOrgOfSettings);

  /** Secret-bearing inputs of `inputs`: the ones stored encrypted and the ones the program marked secret. */
  const secretFields = (inputs: CommonInputs): string[] => [
    ...def.encryptedInputs,
    ...(Array.isArray(inputs.markedSecret) ? inputs.markedSecret : []),
  ];
  const redactorOf = (...inputs: CommonInputs[]): Redactor => {
    const each = inputs.map((i) => redactorFor(i as unknown as Props, secretFields(i)));
    return (text) => each.reduce((out, redact) => redact(out), text);
  };
  /** Run an operation, keeping secret values out of the error the host prints. */
  const guarded = async <T>(redact: Redactor, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw redactError(err, redact);
    }
  };

  const context = (
    inputs: CommonInputs,
    redact: Redactor,
    timeoutSeconds = def.timeoutSeconds(inputs as I),
  ): OperationContext => {
    const deadline = clock.now() + timeoutSeconds * 1000;
    const log = redactedLog(progressLog(environment.logSink, inputs.pulumiUrn ?? ""), redact);
    const retry = retryUntil(deadline, log);
    return {
      urn: inputs.pulumiUrn,
      deadline,
      clock,
      log,
      mesa: () => resolveMesaSettings(configInputs),
      mesaOrg: async (org) =>
        org ?? (await retry("resolve the Mesa org of the API key", mesaOrgOfSettings)),
      superserve: () => resolveSuperserveSettings(configInputs),
      retry,
    };
  };

  const fieldNames = Object.keys(def.fields) as (keyof I & string)[];

  return {
    async check(olds: Props, news: Props) {
      const inputs = { ...news };
      delete inputs[PROVIDER_KEY];
      const failures: CheckFailure[] = [];
      if (typeof inputs.pulumiUrn !== "string" || inputs.pulumiUrn === "") {
        failures.push({
          property: "pulumiUrn",
          reason: "Internal input missing; construct the resource through this package's classes.",
        });
      }
      failures.push(...checkAdopt(inputs.adopt));
      if (def.nameRules) {
        const replaceFields = fieldNames.filter(
          (f) =>
            f !== "name" &&
            def.fields[f as Exclude<keyof I, keyof CommonInputs>].change === "replace",
        );
        nameDefaults(def.nameRules, olds, inputs, replaceFields, environment.suffix, failures);
      }
      const invalid = def.validate(inputs as unknown as I);
      // Compared once the defaults are filled in, as the previous inputs were.
      const unreported = stillUnreported(olds, inputs);
      if (unreported.length > 0) inputs.unreported = unreported;
      else delete inputs.unreported;
      failures.push(
        // An input `import` could not read is not missing: the program gives it.
        ...invalid.filter(
          (f) => !(unreported.includes(f.property) && inputs[f.property] === undefined),
        ),
      );
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
        await def.serviceDefaults(inputs as unknown as I, olds as Partial<I>, {
          mesaOrg: () => mesaOrgWithRetries(inputs.pulumiUrn),
        });
      }
      const redact = redactorOf(inputs as unknown as CommonInputs);
      if (failures.length === 0 && def.verifyReferences) {
        const ctx = context(inputs as unknown as CommonInputs, redact, CHECK_LOOKUP_SECONDS);
        // The deadline bounds the retries; the race bounds a request that hangs.
        const timedOut = clock.sleep(CHECK_LOOKUP_SECONDS * 1000).then(() => {
          throw new Error(`no answer within ${CHECK_LOOKUP_SECONDS} s`);
        });
        try {
          failures.push(
            ...(await Promise.race([def.verifyReferences(inputs as unknown as I, ctx), timedOut])),
          );
        } catch (err) {
          ctx.log.warn(
            `could not verify at preview that the names this ${def.typeName} refers to exist (${describeError(err)}); \`pulumi up\` fails if they do not.`,
          );
        }
      }
      return {
        inputs,
        failures: engineFailures(failures, secretFields(inputs as unknown as CommonInputs), redact),
      };
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
        const rule = def.fields[field as Exclude<keyof I, keyof CommonInputs>];
        if (rule.change === "none") continue;
        const next = news[field];
        if (next === undefined && rule.serviceDefault) continue;
        if (olds[field] === undefined && isUnreported(news, field)) continue;
        if (sameValue(olds[field], next)) continue;
        changes = true;
        if (rule.change === "replace") replaces.push(field);
      }
      if (def.stateDiff) {
        const extra = def.stateDiff(olds as Partial<O>, news as Partial<I>, clock.now());
        changes ||= extra.changes;
        for (const field of extra.replaces) if (!replaces.includes(field)) replaces.push(field);
      }
      return { changes, replaces, deleteBeforeReplace: false };
    },

    async create(props: Props) {
      const inputs = strip(props) as unknown as I;
      const redact = redactorOf(inputs);
      const ctx = context(inputs, redact);
      try {
        const result = inputs.adopt ? await def.adopt(inputs, ctx) : await def.create(inputs, ctx);
        return { id: result.id, outs: result.outs };
      } catch (err) {
        if (err instanceof PartialCreateError) {
          // The host does not add the serialized provider to a partial create's properties;
          // without it the engine could not update or delete the recorded object later.
          (err.properties as Props)[PROVIDER_KEY] = props[PROVIDER_KEY];
        }
        throw redactError(err, redact);
      }
    },

    async read(id: string, props: Props) {
      const state = strip(props) as unknown as O;
      const redact = redactorOf(state);
      const live = await guarded(redact, () => def.read(id, state, context(state, redact)));
      if (live) return { id, props: live };
      // A refresh of a recorded object that is gone drops it; a `get` (which records no field)
      // of an id that names nothing is the program's mistake.
      if (Object.keys(def.fields).every((field) => state[field as keyof O] === undefined)) {
        throw new Error(
          `${def.typeName}.get: no ${def.typeName} has the id "${id}". Check the id (a ` +
            `${def.typeName}'s \`id\` output) and that the credentials reach the org or account ` +
            `that holds it.`,
        );
      }
      return {};
    },

    async update(id: string, olds: Props, news: Props) {
      const state = strip(olds) as unknown as O;
      const inputs = strip(news) as unknown as I;
      const redact = redactorOf(state, inputs);
      return {
        outs: await guarded(redact, () => def.update(id, state, inputs, context(inputs, redact))),
      };
    },

    async delete(id: string, props: Props) {
      const state = strip(props) as unknown as O;
      const redact = redactorOf(state);
      await guarded(redact, () => def.delete(id, state, context(state, redact)));
    },

    async import(id: string, urn: string) {
      const importObject = def.import;
      if (typeof importObject !== "function") throw new Error(importObject.refusal);
      const seed = { pulumiUrn: urn } as CommonInputs;
      const redact = redactorOf(seed);
      const found = await guarded(redact, () => importObject(id, context(seed, redact)));
      if (!found) return undefined;
      const outs: Props = { ...(found.outs as Props), pulumiUrn: urn };
      if (found.unreported.length > 0) outs.unreported = found.unreported;
      const inputs: Props = {};
      for (const key of [...fieldNames, "pulumiUrn", "unreported"])
        if (outs[key] !== undefined) inputs[key] = outs[key];
      return { id: found.id, props: outs, inputs };
    },
  };
}

/** Whether `field` is one `import` could not read and the program has not changed since. */
function isUnreported(inputs: Props, field: string): boolean {
  return Array.isArray(inputs.unreported) && inputs.unreported.includes(field);
}

/**
 * The unreported inputs (see {@link ImportedObject}) that stay so: those the previous inputs did
 * not have (the import's) or had with the same value (the program has not changed them).
 */
function stillUnreported(olds: Props, news: Props): string[] {
  if (!Array.isArray(olds.unreported)) return [];
  return (olds.unreported as string[]).filter(
    (field) => olds[field] === undefined || sameValue(olds[field], news[field]),
  );
}

/** A progress log that never prints a secret value. */
function redactedLog(log: ProgressLog, redact: Redactor): ProgressLog {
  return {
    info: (m) => log.info(redact(m)),
    status: (m) => log.status(redact(m)),
    warn: (m) => log.warn(redact(m)),
  };
}

/**
 * Failures as the engine gets them. The engine prints a failure's `property` with the input's
 * value ("property X value {…} has a problem"), secret or not; so a failure keeps `property`
 * only when it is a top-level input holding no secret. Any other failure (a secret-bearing input,
 * or a path such as `repos[0].fork`, whose value the engine would print as `{<nil>}`) names its
 * path in the reason instead. Reasons never carry a secret value.
 */
function engineFailures(
  failures: CheckFailure[],
  secretFields: readonly string[],
  redact: Redactor,
): CheckFailure[] {
  return failures.map(({ property, reason }) => {
    const top = property.split(/[.[]/)[0];
    const text = redact(reason);
    if (property === "" || (top === property && !secretFields.includes(top)))
      return { property, reason: text };
    return { property: "", reason: text.startsWith(property) ? text : `${property}: ${text}` };
  });
}

function strip(props: Props): Props {
  const copy = { ...props };
  delete copy[PROVIDER_KEY];
  return copy;
}

function describeStatus(err: unknown): string {
  const e = err as { status?: number; statusCode?: number; message?: string };
  return (e?.status ?? e?.statusCode)
    ? `HTTP ${e.status ?? e.statusCode}`
    : (e?.message ?? "network error");
}

function checkAdopt(adopt: unknown): CheckFailure[] {
  if (adopt === undefined || containsUnknown(adopt)) return [];
  const name = (adopt as { name?: unknown })?.name;
  if (typeof adopt !== "object" || adopt === null || typeof name !== "string" || name === "") {
    return [
      {
        property: "adopt",
        reason: 'adopt must be { name: "<existing name>" }, naming the object to take over.',
      },
    ];
  }
  return [];
}

/** Fill `name`: the user's, the adopted object's, the previous autoname, or a fresh autoname. */
function nameDefaults(
  rules: NameRules,
  olds: Props,
  inputs: Props,
  replaceFields: string[],
  suffix: SuffixSource,
  failures: CheckFailure[],
): void {
  const name = inputs.name;
  if (name === UNKNOWN) return;
  if (name !== undefined) {
    inputs.autonamed = false;
    if (typeof name !== "string")
      failures.push({ property: "name", reason: `${rules.what} must be a string.` });
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
    inputs.name = containsUnknown(seed)
      ? UNKNOWN
      : autoname(logicalNameOf(urn), JSON.stringify(seed), rules, suffix);
  }
  inputs.autonamed = true;
}

/** Structural equality of JSON values, treating absent and undefined alike. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null)
    return (a ?? null) === (b ?? null);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => sameValue(v, b[i]));
  }
  if (typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!sameValue((a as Props)[k], (b as Props)[k])) return false;
    return true;
  }
  return false;
}
