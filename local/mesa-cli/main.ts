/**
 * Entry point of the `mesa` command for local sandboxes (bundled into one file by bundle.ts).
 * `mesa mount [-d] [-y]` (see mount-start.ts for the whole start), `mesa stats [--pid P |
 * --pid-file F]`; configuration from MESA_* env.
 */
import { parseArgs, type Command } from "./args";
import { runtimeDirFrom } from "./config";
import { messageOf, startMount } from "./mount-start";
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
  return startMount(command.daemonize);
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
