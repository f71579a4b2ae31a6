import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

/**
 * A bounded, spec-driven conformance run of one backend with schemathesis (from the venv that
 * scripts/setup.sh installs), reduced to what each operation failed. Shared by the Mesa test and,
 * later, a Superserve one: everything backend-specific comes in through {@link SpecRunOptions}.
 */

const REQUIREMENTS = resolve(__dirname, "requirements.txt");

/** A value drawn, with `probability` (default 1), from one of the run's {@link SpecRunOptions.dictionaries}. */
export interface DictionaryDraw {
  dictionary: string;
  probability?: number;
}

/**
 * Path, query or body values the run uses, keyed `path.repo`, `query.limit`, `body.url`,
 * `body.repo_ids[*]` (each item): a fixed value, or a draw from a dictionary.
 */
export type SpecParameters = Record<string, string | number | boolean | DictionaryDraw>;

export interface SpecRunOptions {
  /** The OpenAPI file (JSON or YAML). */
  spec: string;
  /** Base URL the spec's paths are appended to, e.g. `http://127.0.0.1:PORT/v1`. */
  baseUrl: string;
  /**
   * The run's credential as the header it goes in (`Authorization: Bearer …` for Mesa,
   * `X-API-Key` for Superserve); passed through the environment, never on a command line.
   */
  credential: { header: string; value: string };
  /** Values for every operation (e.g. `{"path.org": "local"}`), so requests reach real resources. */
  parameters?: SpecParameters;
  /** Values for single operations, by operation id (e.g. a disposable repo for `deleteRepo`). */
  operationParameters?: Record<string, SpecParameters>;
  /** Checks not to run (every other schemathesis check runs). */
  skipChecks?: string[];
  /** Named lists of real values (ids, receiver URLs) that parameters draw from. */
  dictionaries?: Record<string, (string | number)[]>;
  /** Generated cases per operation and phase. @default 10 */
  maxExamples?: number;
  /** The run is killed (and the test fails) after this long. @default 300_000 */
  timeoutMs?: number;
  /** @default 1 */
  seed?: number;
  /** Concurrent schemathesis workers. @default 2 */
  workers?: number;
}

/** One failed check of one generated case. */
export interface CheckFailure {
  check: string;
  title: string;
  message: string;
  /** The request that failed it (method, URI, body), the credential left out. */
  request: string;
  status: number | undefined;
}

/** What one operation (`METHOD /path`) did over the whole run. */
export interface OperationOutcome {
  label: string;
  cases: number;
  /** Responses by status code. */
  statuses: Record<string, number>;
  /** Distinct failures, one per check and message. */
  failures: CheckFailure[];
}

export interface SpecRunReport {
  /** Every operation that ran, by label. */
  operations: Map<string, OperationOutcome>;
  /** Errors schemathesis reported (an operation it could not test), verbatim. */
  errors: string[];
  elapsedMs: number;
}

/** The venv scripts/setup.sh installs schemathesis into (named by the requirements' hash). */
export async function schemathesisBin(): Promise<string> {
  const hash = createHash("sha256")
    .update(await readFile(REQUIREMENTS))
    .digest("hex")
    .slice(0, 12);
  const venv = join(homedir(), ".cache", "pulumi-superserve-mesa", `schemathesis-${hash}`);
  try {
    await readFile(join(venv, ".installed"));
  } catch {
    throw new Error(
      `schemathesis is not installed in ${venv}; run \`bash scripts/setup.sh\` (npm test does)`,
    );
  }
  return join(venv, "bin", "st");
}

const tomlValue = (v: SpecParameters[string]): string =>
  typeof v === "object"
    ? `{ dictionary = ${JSON.stringify(v.dictionary)}${v.probability === undefined ? "" : `, probability = ${v.probability}`} }`
    : typeof v === "string"
      ? JSON.stringify(v)
      : String(v);
const tomlTable = (values: SpecParameters) =>
  `{ ${Object.entries(values)
    .map(([k, v]) => `${JSON.stringify(k)} = ${tomlValue(v)}`)
    .join(", ")} }`;

/** The schemathesis config file of a run (the credential stays a `${…}` placeholder). */
export function schemathesisConfig(opts: SpecRunOptions, reportDir: string): string {
  const lines = [
    `seed = ${opts.seed ?? 1}`,
    `workers = ${opts.workers ?? 2}`,
    `headers = { ${JSON.stringify(opts.credential.header)} = "\${SPEC_RUN_CREDENTIAL}" }`,
    `[reports]`,
    `directory = ${JSON.stringify(reportDir)}`,
    `ndjson.enabled = true`,
    `[generation]`,
    `max-examples = ${opts.maxExamples ?? 10}`,
    `[phases]`,
    `stateful.enabled = false`,
    `[checks]`,
    `enabled = true`,
    ...(opts.skipChecks ?? []).map((c) => `${c}.enabled = false`),
  ];
  if (opts.parameters && Object.keys(opts.parameters).length) {
    lines.push(
      "[parameters]",
      ...Object.entries(opts.parameters).map(([k, v]) => `${JSON.stringify(k)} = ${tomlValue(v)}`),
    );
  }
  for (const [name, values] of Object.entries(opts.dictionaries ?? {})) {
    lines.push(
      `[dictionaries.${JSON.stringify(name)}]`,
      `values = [${values.map((v) => JSON.stringify(v)).join(", ")}]`,
    );
  }
  for (const [operationId, params] of Object.entries(opts.operationParameters ?? {})) {
    lines.push(
      "[[operations]]",
      `include-operation-id = ${JSON.stringify(operationId)}`,
      `parameters = ${tomlTable(params)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

interface Interaction {
  request?: { method?: string; uri?: string; body?: { $base64?: string } };
  response?: { status_code?: number };
}

function describeRequest(i: Interaction | undefined): string {
  if (!i?.request) return "(no request)";
  const body = i.request.body?.$base64
    ? ` ${Buffer.from(i.request.body.$base64, "base64").toString("utf8").slice(0, 300)}`
    : "";
  return `${i.request.method} ${i.request.uri}${body}`;
}

/** Folds the run's NDJSON event stream into per-operation outcomes. */
export async function readNdjsonReport(
  file: string,
): Promise<Pick<SpecRunReport, "operations" | "errors">> {
  const operations = new Map<string, OperationOutcome>();
  const errors: string[] = [];
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (
      !line.includes('"ScenarioFinished"') &&
      !line.includes('"NonFatalError"') &&
      !line.includes('"FatalError"')
    )
      continue;
    const event = JSON.parse(line) as Record<string, Record<string, unknown>>;
    if (event.NonFatalError || event.FatalError) {
      const e = (event.NonFatalError ?? event.FatalError) as {
        label?: string;
        info?: { message?: string };
      };
      errors.push(`${e.label ?? "run"}: ${e.info?.message ?? JSON.stringify(e).slice(0, 500)}`);
      continue;
    }
    const recorder = event.ScenarioFinished.recorder as {
      label: string;
      checks?: Record<
        string,
        {
          name: string;
          status: string;
          failure_info?: { failure?: { title?: string; message?: string } };
        }[]
      >;
      interactions?: Record<string, Interaction>;
    };
    const outcome = operations.get(recorder.label) ?? {
      label: recorder.label,
      cases: 0,
      statuses: {},
      failures: [],
    };
    operations.set(recorder.label, outcome);
    for (const interaction of Object.values(recorder.interactions ?? {})) {
      const status = String(interaction.response?.status_code ?? "none");
      outcome.statuses[status] = (outcome.statuses[status] ?? 0) + 1;
      outcome.cases++;
    }
    for (const [caseId, checks] of Object.entries(recorder.checks ?? {})) {
      for (const c of checks) {
        if (c.status !== "failure") continue;
        const title = c.failure_info?.failure?.title ?? c.name;
        const message = c.failure_info?.failure?.message ?? "";
        if (outcome.failures.some((f) => f.check === c.name && f.message === message)) continue;
        const interaction = recorder.interactions?.[caseId];
        outcome.failures.push({
          check: c.name,
          title,
          message,
          request: describeRequest(interaction),
          status: interaction?.response?.status_code,
        });
      }
    }
  }
  return { operations, errors };
}

/** Runs schemathesis against a running backend and returns what each operation failed. */
export async function runSpec(opts: SpecRunOptions): Promise<SpecRunReport> {
  const st = await schemathesisBin();
  const dir = await mkdtemp(join(tmpdir(), "spec-run-"));
  const started = Date.now();
  try {
    const config = join(dir, "schemathesis.toml");
    await writeFile(config, schemathesisConfig(opts, join(dir, "reports")));
    const output: string[] = [];
    const code = await new Promise<number | null>((done, fail) => {
      const child = spawn(
        st,
        ["--config-file", config, "run", opts.spec, "--url", opts.baseUrl, "--no-color"],
        {
          // The temp dir as cwd keeps schemathesis' own cache (`.schemathesis/`) out of the repo.
          cwd: dir,
          env: {
            ...process.env,
            SPEC_RUN_CREDENTIAL: opts.credential.value,
            SCHEMATHESIS_TELEMETRY: "false",
          },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      const keep = (chunk: Buffer) => {
        output.push(chunk.toString("utf8"));
        if (output.length > 200) output.shift();
      };
      child.stdout.on("data", keep);
      child.stderr.on("data", keep);
      const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 300_000);
      child.on("error", fail);
      child.on("close", (exitCode) => {
        clearTimeout(timer);
        done(exitCode);
      });
    });
    if (code === null)
      throw new Error(
        `schemathesis ran longer than ${opts.timeoutMs ?? 300_000} ms and was stopped; lower maxExamples`,
      );
    const reports = await readdir(join(dir, "reports")).catch(() => [] as string[]);
    const ndjson = reports.find((f) => f.endsWith(".ndjson"));
    // Exit code 1 means "failures found", which the report lists; anything else is a broken run.
    if (!ndjson || (code !== 0 && code !== 1)) {
      throw new Error(
        `schemathesis exited with ${code}; its output ended with:\n${output.join("").slice(-4000)}`,
      );
    }
    return {
      ...(await readNdjsonReport(join(dir, "reports", ndjson))),
      elapsedMs: Date.now() - started,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A known divergence: failures of `check` on `operation` whose message matches `message`. */
export interface AllowedDivergence {
  operation: string;
  check: string;
  message: RegExp;
  /**
   * Only failures whose request (`METHOD URI BODY`) matches: for checks whose message is the same
   * for every case (`positive_data_acceptance`), so the entry allows that one shape of request.
   */
  request?: RegExp;
  /** Where the divergence is written down, e.g. `local/mesa/DIVERGENCES.md#…`. */
  documented: string;
}

/** The outcome with the allowed divergences taken out. */
export interface SpecVerdict {
  /** Labels of operations that failed no check outside the allow-list. */
  passing: string[];
  /** Failures outside the allow-list, per operation label. */
  failing: Map<string, CheckFailure[]>;
  /**
   * Operations with a 5xx answer other than 501 (an unimplemented feature answers 501 in the
   * vendor's envelope; that is still a failed check, subject to the allow-list).
   */
  serverErrors: string[];
}

/** Applies the allow-list to a run's report. */
export function judge(report: SpecRunReport, allowed: AllowedDivergence[]): SpecVerdict {
  const passing: string[] = [];
  const failing = new Map<string, CheckFailure[]>();
  const serverErrors: string[] = [];
  for (const op of report.operations.values()) {
    if (Object.keys(op.statuses).some((s) => s.startsWith("5") && s !== "501"))
      serverErrors.push(op.label);
    const left = op.failures.filter(
      (f) =>
        !allowed.some(
          (a) =>
            a.operation === op.label &&
            a.check === f.check &&
            a.message.test(f.message) &&
            (a.request === undefined || a.request.test(f.request)),
        ),
    );
    if (left.length) failing.set(op.label, left);
    else passing.push(op.label);
  }
  return { passing, failing, serverErrors };
}

/** A readable listing of the failures (for assertion messages and scripts). */
export function formatFailures(failing: Map<string, CheckFailure[]>): string {
  return [...failing]
    .map(([label, failures]) =>
      [
        `${label}:`,
        ...failures.map(
          (f) =>
            `  - ${f.check} (${f.status ?? "no response"}): ${f.message.split("\n")[0]}\n      ${f.request}`,
        ),
      ].join("\n"),
    )
    .join("\n");
}
