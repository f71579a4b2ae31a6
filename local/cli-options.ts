/**
 * The command line of `pulumi-superserve-mesa-local`: its help text, and the parsing and
 * validation of its arguments and environment (node:util parseArgs), with messages that name the
 * flag or variable at fault and the fix.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { defaultLocalDir, LOCAL_DIR_ENV } from "pulumi-superserve-mesa/local-endpoints";

export const COMMAND_NAME = "pulumi-superserve-mesa-local";
export const START_HINT = `npx ${COMMAND_NAME} start`;

export const HELP = `Usage: ${COMMAND_NAME} <start|stop|status> [options]

Runs the embedded local backends of pulumi-superserve-mesa (local Mesa and local Superserve) in
the background, with their state in a data directory that survives restarts. Needs Linux, root,
bubblewrap and git.

Commands:
  start    start the backends, or report them when they already run, and print their endpoints
  stop     stop them; the sandboxes are frozen with their processes, mounts included, and the
           next start takes them back (data kept)
  status   whether they run, their URLs and API keys

Options:
  --data-dir <dir>           data directory         [env ${LOCAL_DIR_ENV}; default ./.local-data]
  --mesa-port <port>         Mesa API port          [env PSM_MESA_PORT; default 7780]
  --superserve-port <port>   Superserve API port    [env PSM_SUPERSERVE_PORT; default 7781]
                             (ports: start only; 0 picks a free port)
  --upstream <host>=<url>    start only, repeatable: serve <host> to sandboxes from a test
                             server on this machine, e.g. api.example.test=http://127.0.0.1:8080
                             (sandboxes reach https://<host> through the egress layer)
  --all                      stop only: end the sandboxes' processes too (they come back
                             paused with their files)
  --json                     print the result as JSON
  -h, --help                 show this help

The providers find running backends through <data dir>/endpoints.json, in $${LOCAL_DIR_ENV}, else
in <project dir>/.local-data: start them from the project directory, or run pulumi with
${LOCAL_DIR_ENV} set to the same data directory. Configured credentials (MESA_API_KEY,
SUPERSERVE_API_KEY or the stack config) take precedence over the local backends.
`;

/** Bad arguments: the message says what is wrong and how to fix it. */
export class UsageError extends Error {
  override name = "UsageError";
}

export type Command = "start" | "stop" | "status";

export type CliRequest =
  | { help: true }
  | {
      help: false;
      command: Command;
      json: boolean;
      /** `stop --all`: end the sandboxes' processes instead of freezing them. */
      all: boolean;
      /** Absolute data directory. */
      localDir: string;
      /** Set when `--data-dir` chose a directory other than the one the providers look in. */
      providersLookElsewhere: boolean;
      /** Ports to start on (the defaults for stop and status). */
      ports: { mesa: number; superserve: number };
      /** The ports asked for by flag or environment (not defaulted): a running instance must match them. */
      requestedPorts: { mesa?: number; superserve?: number };
      /** `start --upstream host=url`: test upstreams of the egress layer (set only when given). */
      upstreams?: Record<string, string>;
    };

const COMMANDS: readonly Command[] = ["start", "stop", "status"];
const DEFAULT_PORTS = { mesa: 7780, superserve: 7781 };

const OPTIONS = {
  "data-dir": { type: "string" },
  "mesa-port": { type: "string" },
  "superserve-port": { type: "string" },
  upstream: { type: "string", multiple: true },
  json: { type: "boolean" },
  all: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const MORE = `Run \`${COMMAND_NAME} --help\` for usage.`;

function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const unknown =
      code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && /'([^']+)'/.exec((error as Error).message)?.[1];
    const message = unknown ? `unknown option '${unknown}'` : (error as Error).message;
    throw new UsageError(`${message}. ${MORE}`);
  }
}

/** A port from a flag or an environment variable (`source` names it in the message). */
function port(value: string, source: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 65535)) {
    throw new UsageError(
      `${source} must be a port number from 0 to 65535 (0 picks a free port), got '${value}'.`,
    );
  }
  return n;
}

function requestedPort(
  flag: string,
  flagValue: string | undefined,
  envName: string,
  env: NodeJS.ProcessEnv,
): number | undefined {
  if (flagValue !== undefined) return port(flagValue, `--${flag}`);
  const fromEnv = env[envName];
  return fromEnv ? port(fromEnv, envName) : undefined;
}

/** Parse `argv` (without node and the script) against `env` and `cwd`; throws {@link UsageError}. */
export function parseCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): CliRequest {
  const { values, positionals } = parse(argv);
  if (values.help) return { help: true };
  const [command, ...extra] = positionals;
  if (command === undefined)
    throw new UsageError(`missing command: start, stop or status. ${MORE}`);
  if (!COMMANDS.includes(command as Command))
    throw new UsageError(`unknown command '${command}': use start, stop or status. ${MORE}`);
  if (extra.length > 0)
    throw new UsageError(`unexpected argument '${extra[0]}' after '${command}'. ${MORE}`);
  if (values.all && command !== "stop")
    throw new UsageError(`--all applies to stop only (it ends the sandboxes' processes). ${MORE}`);
  if (command !== "start") {
    const portFlag = (["mesa-port", "superserve-port"] as const).find(
      (flag) => values[flag] !== undefined,
    );
    if (portFlag)
      throw new UsageError(
        `--${portFlag} applies to start only; ${command} finds the running backends through the data directory.`,
      );
  }

  const dataDir = values["data-dir"];
  if (dataDir !== undefined && dataDir.trim() === "")
    throw new UsageError(`--data-dir needs a directory, e.g. --data-dir ./.local-data.`);
  const providersDir = defaultLocalDir(env, cwd);
  const localDir = dataDir === undefined ? providersDir : resolve(cwd, dataDir);

  // Only start binds ports; stop and status find the backends through the data directory.
  const requestedPorts =
    command === "start"
      ? {
          mesa: requestedPort("mesa-port", values["mesa-port"], "PSM_MESA_PORT", env),
          superserve: requestedPort(
            "superserve-port",
            values["superserve-port"],
            "PSM_SUPERSERVE_PORT",
            env,
          ),
        }
      : {};
  const ports = {
    mesa: requestedPorts.mesa ?? DEFAULT_PORTS.mesa,
    superserve: requestedPorts.superserve ?? DEFAULT_PORTS.superserve,
  };
  if (command === "start" && ports.mesa !== 0 && ports.mesa === ports.superserve) {
    throw new UsageError(
      `the Mesa and Superserve ports must differ (both ${ports.mesa}); set --mesa-port or --superserve-port.`,
    );
  }
  const upstreams = upstreamsOf(command as Command, values.upstream);
  return {
    help: false,
    command: command as Command,
    json: values.json ?? false,
    all: values.all ?? false,
    localDir,
    providersLookElsewhere: localDir !== providersDir,
    ports,
    requestedPorts,
    ...(upstreams && { upstreams }),
  };
}

/** The `--upstream host=url` flags as a map (the egress layer checks the URLs when it starts). */
function upstreamsOf(
  command: Command,
  flags: string[] | undefined,
): Record<string, string> | undefined {
  if (!flags?.length) return undefined;
  if (command !== "start")
    throw new UsageError(
      `--upstream applies to start only (it configures the egress layer). ${MORE}`,
    );
  return Object.fromEntries(
    flags.map((flag) => {
      const eq = flag.indexOf("=");
      if (eq <= 0 || eq === flag.length - 1)
        throw new UsageError(
          `--upstream must be <host>=<url>, e.g. --upstream api.example.test=http://127.0.0.1:8080, got '${flag}'.`,
        );
      return [flag.slice(0, eq), flag.slice(eq + 1)];
    }),
  );
}
