/**
 * Entry point of the `mesa` command for local sandboxes (bundled into one file by bundle.ts).
 * `mesa mount [-d] [-y]`, `mesa stats [--pid P | --pid-file F]`; configuration from MESA_* env.
 */
import * as fs from "node:fs";
import { parseArgs, type Command } from "./args";
import { readMountConfig, runtimeDirFrom } from "./config";
import { runMount } from "./daemon";
import { DAEMON_CHILD_ENV, reportToParent, spawnDaemon } from "./mount-start";
import { useProxyFromEnv } from "./proxy";
import { runStats } from "./stats-command";

async function main(argv: string[]): Promise<number> {
  const command: Command = parseArgs(argv);
  if (command.kind === "print") {
    (command.exitCode === 0 ? process.stdout : process.stderr).write(command.text);
    return command.exitCode;
  }
  if (command.kind === "stats") {
    const result = runStats({ ...command, runtimeDir: runtimeDirFrom(process.env) });
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    return result.exitCode;
  }
  const isChild = process.env[DAEMON_CHILD_ENV] === "1";
  const config = readMountConfig(process.env, command.daemonize || isChild);
  if (command.daemonize && !isChild) {
    const summary = await spawnDaemon({
      script: process.argv[1],
      args: ["mount"],
      logFile: config.logFile ?? `${config.runtimeDir}/daemon.log`,
    });
    process.stdout.write(`mesa: ${summary}\n`);
    return 0;
  }
  // Only the process that talks to Mesa pays for the proxy agent (not `-d`'s parent, not `stats`).
  useProxyFromEnv(process.env);
  const log = makeLogger(isChild ? undefined : config.logFile);
  try {
    await runMount(config, {
      log,
      onReady: (summary) => {
        if (isChild) reportToParent(`ready ${summary}`);
        else if (config.logFile !== undefined) process.stdout.write(`mesa: ${summary}\n`);
      },
      exit: (code) => process.exit(code),
    });
  } catch (error) {
    if (isChild) reportToParent(`error ${messageOf(error)}`);
    throw error;
  }
  return -1;
}

function makeLogger(file: string | undefined): (message: string) => void {
  const fd = file === undefined ? 1 : fs.openSync(file, "a");
  return (message) => {
    try {
      fs.writeSync(fd, `${new Date().toISOString()} mesa: ${message}\n`);
    } catch {
      // The log is best effort; the mount keeps syncing.
    }
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${messageOf(error)}\n`);
    process.exit(1);
  },
);
