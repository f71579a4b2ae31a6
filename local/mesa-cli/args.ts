/**
 * Command-line parsing in the style of the real `mesa` CLI (Rust, clap): the same subcommands and
 * flags, the same error wording and exit code 2 for usage errors.
 */

/** What the user asked for. */
export type Command =
  | { kind: "mount"; daemonize: boolean; nonInteractive: boolean; configPath?: string }
  | { kind: "stats"; format: "text" | "json"; pid?: number; pidFile?: string; configPath?: string }
  | { kind: "print"; text: string; exitCode: number };

/** Version printed by `mesa --version`. */
const VERSION = "0.38.0-local";

const TOP_USAGE = "Usage: mesa [OPTIONS] <COMMAND>";
const MOUNT_USAGE = "Usage: mesa mount [OPTIONS]";
const STATS_USAGE = "Usage: mesa stats [OPTIONS]";

const TOP_HELP = `Mesa: mount Mesa repositories as a local filesystem (local sandbox edition)

${TOP_USAGE}

Commands:
  mount  Mount the repositories of MESA_ORG at MESA_MOUNT_POINT
  stats  Show statistics from a running mesa daemon
  help   Print this message or the help of the given subcommand(s)

Options:
  -c, --config-path <PATH>  Path to a config file (accepted; configuration comes from MESA_* env vars)
  -h, --help                Print help
  -V, --version             Print version
`;

const MOUNT_HELP = `Mount the repositories of MESA_ORG at MESA_MOUNT_POINT

${MOUNT_USAGE}

Options:
  -d, --daemonize           Spawns mesa in the background
  -y, --non-interactive     Skip the onboarding wizard and use defaults
  -c, --config-path <PATH>  Path to a config file
  -h, --help                Print help

Environment:
  MESA_ORG, MESA_API_KEY (API key or access token), MESA_MOUNT_POINT, MESA_REPO_REVS,
  MESA_RUNTIME_DIR, MESA_DAEMON_LOG_FILE, MESA_API_URL (local extension), MESA_READ_ONLY_REPOS
  (local extension)
`;

const STATS_HELP = `Show statistics from a running mesa daemon

${STATS_USAGE}

Options:
      --format <FORMAT>     Output format [default: text] [possible values: text, json]
      --pid <PID>           PID of the daemon
      --pid-file <FILE>     PID file of the daemon [default: $MESA_RUNTIME_DIR/mesa.pid]
  -c, --config-path <PATH>  Path to a config file
  -h, --help                Print help
`;

/** Parses `argv` (without node and script) into a {@link Command}. */
export function parseArgs(argv: readonly string[]): Command {
  const args = [...argv];
  let configPath: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-c" || arg === "--config-path") {
      const value = args[i + 1];
      if (value === undefined) return missingValue("--config-path <PATH>", TOP_USAGE);
      configPath = value;
      i++;
    } else if (arg.startsWith("--config-path=")) {
      configPath = arg.slice("--config-path=".length);
    } else {
      rest.push(arg);
    }
  }
  const [sub, ...subArgs] = rest;
  if (sub === undefined) return { kind: "print", text: TOP_HELP, exitCode: 2 };
  if (sub === "-h" || sub === "--help" || sub === "help") {
    if (subArgs[0] === "mount") return { kind: "print", text: MOUNT_HELP, exitCode: 0 };
    if (subArgs[0] === "stats") return { kind: "print", text: STATS_HELP, exitCode: 0 };
    return { kind: "print", text: TOP_HELP, exitCode: 0 };
  }
  if (sub === "-V" || sub === "--version")
    return { kind: "print", text: `mesa ${VERSION}\n`, exitCode: 0 };
  if (sub.startsWith("-")) return unexpected(sub, TOP_USAGE);
  if (sub === "mount") return parseMount(subArgs, configPath);
  if (sub === "stats") return parseStats(subArgs, configPath);
  return usageError(`unrecognized subcommand '${sub}'`, TOP_USAGE);
}

function parseMount(args: string[], configPath: string | undefined): Command {
  let daemonize = false;
  let nonInteractive = false;
  for (const arg of expandShortFlags(args)) {
    if (arg === "-h" || arg === "--help") return { kind: "print", text: MOUNT_HELP, exitCode: 0 };
    if (arg === "-d" || arg === "--daemonize") daemonize = true;
    else if (arg === "-y" || arg === "--non-interactive") nonInteractive = true;
    else return unexpected(arg, MOUNT_USAGE);
  }
  return { kind: "mount", daemonize, nonInteractive, configPath };
}

function parseStats(args: string[], configPath: string | undefined): Command {
  let format: "text" | "json" = "text";
  let pid: number | undefined;
  let pidFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = splitInline(args[i]);
    if (flag === "-h" || flag === "--help") return { kind: "print", text: STATS_HELP, exitCode: 0 };
    if (flag !== "--format" && flag !== "--pid" && flag !== "--pid-file")
      return unexpected(args[i], STATS_USAGE);
    const value = inline ?? args[++i];
    if (value === undefined) {
      const placeholder = flag === "--format" ? "<FORMAT>" : flag === "--pid" ? "<PID>" : "<FILE>";
      return missingValue(`${flag} ${placeholder}`, STATS_USAGE);
    }
    if (flag === "--format") {
      if (value !== "text" && value !== "json") {
        return usageError(
          `invalid value '${value}' for '--format <FORMAT>'\n  [possible values: text, json]`,
          STATS_USAGE,
        );
      }
      format = value;
    } else if (flag === "--pid") {
      if (!/^\d+$/.test(value)) {
        return usageError(
          `invalid value '${value}' for '--pid <PID>': invalid digit found in string`,
          STATS_USAGE,
        );
      }
      pid = Number(value);
    } else {
      pidFile = value;
    }
  }
  if (pid !== undefined && pidFile !== undefined) {
    return usageError(
      "the argument '--pid <PID>' cannot be used with '--pid-file <FILE>'",
      STATS_USAGE,
    );
  }
  return { kind: "stats", format, pid, pidFile, configPath };
}

/** `-dy` → `-d -y`, as clap accepts combined short flags. */
function expandShortFlags(args: string[]): string[] {
  return args.flatMap((arg) =>
    /^-[a-zA-Z]{2,}$/.test(arg) ? [...arg.slice(1)].map((letter) => `-${letter}`) : [arg],
  );
}

function splitInline(arg: string): [string, string | undefined] {
  const eq = arg.indexOf("=");
  return arg.startsWith("--") && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}

function unexpected(arg: string, usage: string): Command {
  const tip = arg.startsWith("-") ? `\n\n  tip: to pass '${arg}' as a value, use '-- ${arg}'` : "";
  return usageError(`unexpected argument '${arg}' found${tip}`, usage);
}

function missingValue(arg: string, usage: string): Command {
  return usageError(`a value is required for '${arg}' but none was supplied`, usage);
}

function usageError(message: string, usage: string): Command {
  return {
    kind: "print",
    text: `error: ${message}\n\n${usage}\n\nFor more information, try '--help'.\n`,
    exitCode: 2,
  };
}
