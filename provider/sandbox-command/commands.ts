/**
 * The shell a SandboxCommand runs in its sandbox through `commands.run`. A background command runs
 * detached (`setsid`: a session and process group of its own, stdin from /dev/null), so it outlives
 * the exec call, the provider process, and a stop/start of the local backends that keeps the
 * sandbox's processes; everything about it lives in its own directory in the sandbox:
 *
 * | file | what it holds |
 * |---|---|
 * | `command` | the command text, run by `sh` |
 * | `pid` | `<pid> <start time>` of its process group leader (the start time, field 22 of `/proc/<pid>/stat`, tells a reused pid apart) |
 * | `start-id` | the id of the launch that started it (a retried launch finds it instead of starting a second one) |
 * | `owner` | `<URN> <spec digest>`: the resource that started it and a digest of what it runs (a create retried after an interrupted run finds it) |
 * | `started` | when it started (ISO 8601) |
 * | `exit` | `<exit code> <finished at>`, written by the wrapper once the command ended |
 * | `log` | its stdout and stderr |
 * | `stopping` | written by {@link stopCommand} before its SIGTERM (a SIGTERM without it is the sandbox going down) |
 *
 * The environment travels in the exec request's `env` (never in a command line, so never in `ps`);
 * the wrapper passes it on to the command. Everything here is a pure function of its arguments.
 */
import { shellQuote } from "../shell-quote";
import type { CommandStatus } from "./state";

/** Where background commands keep their files (`<root>/<resource id>`). */
export const STATE_ROOT = "/home/user/.local/state/sandbox-command";

/** The directory of one background command. */
export function commandDir(id: string): string {
  return `${STATE_ROOT}/${id}`;
}

/** Exit code of {@link launchCommand} and {@link foregroundCommand} when `cwd` is no directory. */
export const EXIT_NO_CWD = 66;
/** Exit code of {@link launchCommand} when the command's directory cannot be prepared or `setsid` is missing. */
export const EXIT_NO_LAUNCH = 67;

/** Separates the status lines from the log tail in the output of {@link statusCommand}. */
const LOG_SEPARATOR = "--- log ---";

const NOW_ISO = "date -u +%Y-%m-%dT%H:%M:%SZ";

/** `cd` into `cwd`, or exit {@link EXIT_NO_CWD} with a message saying what to fix. */
function cdLine(cwd: string): string {
  return `cd ${shellQuote(cwd)} 2>/dev/null || { echo "cwd ${cwd.replace(/["$`\\]/g, "")} is not a directory in the sandbox: set cwd to an existing directory (default: the mount of the sandbox's first repo)" >&2; exit ${EXIT_NO_CWD}; }`;
}

/** A foreground command: `cd` into `cwd`, then `command` as the rest of the script. */
export function foregroundCommand(command: string, cwd: string): string {
  return `${cdLine(cwd)}\n${command}`;
}

/**
 * Shell function `alive`: true while the process of `$d/pid` runs (same pid, same start time, not a
 * zombie waiting to be reaped).
 */
const ALIVE_FUNCTION = [
  "alive() {",
  '  [ -s "$d/pid" ] || return 1',
  '  read -r pid st < "$d/pid" || return 1',
  '  s="$(cut -d" " -f3,22 "/proc/$pid/stat" 2>/dev/null)"',
  '  [ "${s#* }" = "$st" ] && [ "${s%% *}" != Z ]',
  "}",
];

/**
 * Prints the status lines and the log tail (see {@link parseStatus}). The exit file is read after
 * `alive` fails: the wrapper writes it before it exits, so a command ending between the two checks
 * reads as exited, not lost.
 */
function statusLines(logLines: number): string[] {
  return [
    'if [ ! -s "$d/exit" ] && alive; then echo "status running"',
    'elif [ -s "$d/exit" ]; then read -r code fin < "$d/exit"; echo "status exited"; echo "exit $code"; echo "finished $fin"',
    'else echo "status lost"; fi',
    '[ -s "$d/pid" ] && { read -r pid st < "$d/pid"; echo "pid $pid"; }',
    '[ -s "$d/started" ] && echo "started $(cat "$d/started")"',
    `echo ${shellQuote(LOG_SEPARATOR)}`,
    `tail -c 65536 "$d/log" 2>/dev/null | tail -n ${Math.max(0, Math.floor(logLines))}`,
  ];
}

/** Options of {@link launchCommand}. */
export interface LaunchOptions {
  /** The resource's id: names the command's directory. */
  id: string;
  /** `<URN> <spec digest>`, written to the `owner` file (see {@link findCommand}). */
  owner: string;
  command: string;
  cwd: string;
  /** Id of this launch: a second run with the same id finds the first's process instead of starting another. */
  startId: string;
  /** How long to watch the command after the start, so one that fails at once fails the create. */
  watchSeconds: number;
  logLines: number;
  pollSeconds?: number;
}

/**
 * Starts the command detached in its directory (replacing an earlier run's files, unless the
 * earlier run is this same launch), watches it for `watchSeconds` or until it exits, and prints
 * its status like {@link statusCommand}. The wrapper traps SIGTERM (the trap is reset in the
 * command, which gets the default action): after {@link stopCommand}'s SIGTERM it records the
 * command's exit code; after any other SIGTERM of the whole group (the sandbox stopping) it
 * records none, so the command counts as `lost`.
 */
export function launchCommand(opts: LaunchOptions): string {
  const d = commandDir(opts.id);
  const poll = opts.pollSeconds ?? 0.2;
  const wrapper = [
    "trap 'stopped=1' TERM",
    'd="$1"',
    'echo "$$ $(cut -d" " -f22 /proc/$$/stat)" > "$d/pid.tmp" && mv "$d/pid.tmp" "$d/pid"',
    'sh "$d/command" >> "$d/log" 2>&1 < /dev/null',
    "code=$?",
    // SIGTERMed with its command, but not by `stopCommand`: the sandbox is going down. No exit
    // code then: the command did not end on its own, so it is `lost` and the next `up` restarts it.
    '[ -n "${stopped:-}" ] && [ ! -e "$d/stopping" ] && exit 0',
    `printf '%s %s\\n' "$code" "$(${NOW_ISO})" > "$d/exit.tmp" && mv "$d/exit.tmp" "$d/exit"`,
  ].join("\n");
  return [
    `d=${shellQuote(d)}`,
    ...ALIVE_FUNCTION,
    `command -v setsid >/dev/null 2>&1 || { echo "setsid (util-linux) is not installed in the sandbox: add it to the template to run background commands" >&2; exit ${EXIT_NO_LAUNCH}; }`,
    cdLine(opts.cwd),
    `if [ "$(cat "$d/start-id" 2>/dev/null)" = ${shellQuote(opts.startId)} ] && { alive || [ -s "$d/exit" ]; }; then :; else`,
    `  mkdir -p "$d" && chmod 700 "$d" && rm -f "$d/exit" "$d/pid" "$d/stopping" && : > "$d/log" || { echo "could not prepare $d" >&2; exit ${EXIT_NO_LAUNCH}; }`,
    `  printf '%s\\n' ${shellQuote(opts.command)} > "$d/command" && ${NOW_ISO} > "$d/started" && printf '%s\\n' ${shellQuote(opts.startId)} > "$d/start-id" && printf '%s\\n' ${shellQuote(opts.owner)} > "$d/owner"`,
    `  setsid sh -c ${shellQuote(wrapper)} sandbox-command "$d" > /dev/null 2>&1 < /dev/null &`,
    "fi",
    `end=$(( $(date +%s) + ${Math.ceil(opts.watchSeconds)} ))`,
    'until [ -s "$d/pid" ] || [ "$(date +%s)" -ge "$end" ]; do sleep ' + poll + "; done",
    `while [ ! -s "$d/exit" ] && [ "$(date +%s)" -lt "$end" ]; do sleep ${poll}; done`,
    ...statusLines(opts.logLines),
  ].join("\n");
}

/** Prints the command's status and log tail without changing anything (see {@link parseStatus}). */
export function statusCommand(id: string, logLines: number): string {
  return [
    `d=${shellQuote(commandDir(id))}`,
    ...ALIVE_FUNCTION,
    '[ -d "$d" ] || { echo "status lost"; exit 0; }',
    ...statusLines(logLines),
  ].join("\n");
}

/**
 * Prints the id of a command started by `owner` (same URN, same spec) that still runs or exited
 * 0 — what an interrupted create left behind — or nothing.
 */
export function findCommand(owner: string): string {
  return [
    `for d in ${STATE_ROOT}/*/; do`,
    '  d="${d%/}"',
    `  [ "$(cat "$d/owner" 2>/dev/null)" = ${shellQuote(owner)} ] || continue`,
    ...ALIVE_FUNCTION.map((line) => `  ${line}`),
    '  if alive || { [ -s "$d/exit" ] && [ "$(cut -d" " -f1 "$d/exit")" = 0 ]; }; then basename "$d"; exit 0; fi',
    "done",
  ].join("\n");
}

/** Exit code of {@link stopCommand} when it had to SIGKILL the command after the grace. */
export const EXIT_KILLED = 3;

/**
 * SIGTERMs the command's process group, SIGKILLs it when it still runs `graceSeconds` later, then
 * removes the command's directory. Succeeds (and removes the directory) when nothing runs.
 */
export function stopCommand(id: string, graceSeconds: number, pollSeconds = 0.2): string {
  return [
    `d=${shellQuote(commandDir(id))}`,
    ...ALIVE_FUNCTION,
    "code=0",
    "if alive; then",
    '  : > "$d/stopping"',
    '  kill -TERM "-$pid" 2>/dev/null',
    `  end=$(( $(date +%s) + ${Math.ceil(graceSeconds)} ))`,
    "  while alive; do",
    `    if [ "$(date +%s)" -ge "$end" ]; then kill -KILL "-$pid" 2>/dev/null; echo "the command (pid $pid) still ran ${Math.ceil(graceSeconds)} s after SIGTERM: killed" >&2; code=${EXIT_KILLED}; break; fi`,
    `    sleep ${pollSeconds}`,
    "  done",
    "fi",
    'rm -rf "$d"',
    'exit "$code"',
  ].join("\n");
}

/** What {@link statusCommand} and {@link launchCommand} report. */
export interface CommandReport {
  status: Exclude<CommandStatus, "paused">;
  exitCode?: number;
  pid?: number;
  startedAt?: string;
  finishedAt?: string;
  logTail: string;
}

/** Parses the output of {@link statusCommand} or {@link launchCommand}. */
export function parseStatus(stdout: string): CommandReport {
  const at = stdout.indexOf(`${LOG_SEPARATOR}\n`);
  const head = at < 0 ? stdout : stdout.slice(0, at);
  const logTail = at < 0 ? "" : stdout.slice(at + LOG_SEPARATOR.length + 1).replace(/\n$/, "");
  const fields = new Map<string, string>();
  for (const line of head.split("\n")) {
    const space = line.indexOf(" ");
    if (space > 0) fields.set(line.slice(0, space), line.slice(space + 1).trim());
  }
  const status = fields.get("status");
  const report: CommandReport = {
    status: status === "running" || status === "exited" ? status : "lost",
    logTail,
  };
  const exitCode = Number(fields.get("exit"));
  if (report.status === "exited" && Number.isInteger(exitCode)) report.exitCode = exitCode;
  const pid = Number(fields.get("pid"));
  if (Number.isInteger(pid) && pid > 0) report.pid = pid;
  if (fields.get("started")) report.startedAt = fields.get("started");
  if (report.status === "exited" && fields.get("finished"))
    report.finishedAt = fields.get("finished");
  return report;
}
