import { describe, expect, it } from "vitest";
import { parseArgs } from "../../../local/mesa-cli/args";

describe("mesa CLI arguments (clap style)", () => {
  it("accepts the real CLI's mount flags, combined short flags and the global config path", () => {
    expect(parseArgs(["mount"])).toEqual({
      kind: "mount",
      daemonize: false,
      nonInteractive: false,
      configPath: undefined,
    });
    expect(parseArgs(["mount", "-d", "-y"])).toMatchObject({
      kind: "mount",
      daemonize: true,
      nonInteractive: true,
    });
    expect(parseArgs(["mount", "--daemonize", "--non-interactive"])).toMatchObject({
      daemonize: true,
      nonInteractive: true,
    });
    expect(parseArgs(["-c", "/etc/mesa/config.toml", "mount", "-dy"])).toMatchObject({
      kind: "mount",
      daemonize: true,
      nonInteractive: true,
      configPath: "/etc/mesa/config.toml",
    });
  });

  it("rejects an unknown flag with clap's wording, the usage line and exit code 2", () => {
    const result = parseArgs(["mount", "--x"]);
    expect(result.kind).toBe("print");
    if (result.kind !== "print") return;
    expect(result.exitCode).toBe(2);
    expect(result.text).toMatch(/^error: unexpected argument '--x' found\n/);
    expect(result.text).toContain("Usage: mesa mount [OPTIONS]");
    expect(result.text).toContain("For more information, try '--help'.");
  });

  it("rejects an unknown subcommand and a missing subcommand with exit code 2", () => {
    expect(parseArgs(["unmount"])).toMatchObject({
      kind: "print",
      exitCode: 2,
      text: expect.stringContaining("unrecognized subcommand 'unmount'"),
    });
    expect(parseArgs([])).toMatchObject({
      kind: "print",
      exitCode: 2,
      text: expect.stringContaining("Usage: mesa [OPTIONS] <COMMAND>"),
    });
  });

  it("parses stats with --pid-file, --pid and --format, and refuses both pid options together", () => {
    expect(parseArgs(["stats", "--pid-file", "/run/mesa.pid"])).toMatchObject({
      kind: "stats",
      pidFile: "/run/mesa.pid",
      format: "text",
    });
    expect(parseArgs(["stats", "--pid=42", "--format", "json"])).toMatchObject({
      kind: "stats",
      pid: 42,
      format: "json",
    });
    expect(parseArgs(["stats", "--pid", "x"])).toMatchObject({ kind: "print", exitCode: 2 });
    expect(parseArgs(["stats", "--pid", "1", "--pid-file", "f"])).toMatchObject({
      kind: "print",
      exitCode: 2,
      text: expect.stringContaining("cannot be used with"),
    });
    expect(parseArgs(["stats", "--pid-file"])).toMatchObject({
      kind: "print",
      text: expect.stringContaining("a value is required for '--pid-file <FILE>'"),
    });
  });

  it("prints help and version on stdout with exit code 0", () => {
    expect(parseArgs(["--help"])).toMatchObject({ kind: "print", exitCode: 0 });
    expect(parseArgs(["mount", "--help"])).toMatchObject({
      kind: "print",
      exitCode: 0,
      text: expect.stringContaining("--daemonize"),
    });
    expect(parseArgs(["-V"])).toMatchObject({
      kind: "print",
      exitCode: 0,
      text: expect.stringMatching(/^mesa /),
    });
  });
});
