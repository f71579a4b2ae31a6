import { describe, expect, it } from "vitest";
import { HELP, parseCli } from "../../../local/cli-options";

const cwd = "/project";

describe("the local backends' command line", () => {
  it("documents every flag with its environment variable and default", () => {
    for (const text of [
      "--data-dir",
      "PSM_LOCAL_DIR",
      "./.local-data",
      "--mesa-port",
      "PSM_MESA_PORT",
      "7780",
      "--superserve-port",
      "PSM_SUPERSERVE_PORT",
      "7781",
      "--json",
      "--help",
    ]) {
      expect(HELP, `the help mentions ${text}`).toContain(text);
    }
    expect(parseCli(["--help"], {}, cwd)).toEqual({ help: true });
    expect(parseCli(["start", "-h"], {}, cwd)).toEqual({ help: true });
  });

  it("defaults to the directory and ports the providers use", () => {
    expect(parseCli(["start"], {}, cwd)).toEqual({
      help: false,
      command: "start",
      json: false,
      all: false,
      localDir: "/project/.local-data",
      providersLookElsewhere: false,
      ports: { mesa: 7780, superserve: 7781 },
      requestedPorts: { mesa: undefined, superserve: undefined },
    });
    expect(parseCli(["status", "--json"], { PSM_LOCAL_DIR: "/data/psm" }, cwd)).toMatchObject({
      json: true,
      localDir: "/data/psm",
      providersLookElsewhere: false,
    });
  });

  it("takes --all on stop only", () => {
    expect(parseCli(["stop", "--all"], {}, cwd)).toMatchObject({ command: "stop", all: true });
    expect(() => parseCli(["start", "--all"], {}, cwd)).toThrow(/--all applies to stop only/);
  });

  it("takes flags over the environment", () => {
    const env = { PSM_MESA_PORT: "9000", PSM_SUPERSERVE_PORT: "9001", PSM_LOCAL_DIR: "/data/psm" };
    expect(parseCli(["start"], env, cwd)).toMatchObject({
      ports: { mesa: 9000, superserve: 9001 },
      requestedPorts: { mesa: 9000, superserve: 9001 },
    });
    expect(
      parseCli(
        ["start", "--mesa-port", "0", "--superserve-port=0", "--data-dir", "state"],
        env,
        cwd,
      ),
    ).toMatchObject({
      localDir: "/project/state",
      providersLookElsewhere: true,
      ports: { mesa: 0, superserve: 0 },
    });
  });

  it.each([
    [[], "missing command: start, stop or status"],
    [["restart"], "unknown command 'restart': use start, stop or status"],
    [["start", "now"], "unexpected argument 'now' after 'start'"],
    [["start", "--port", "1"], "unknown option '--port'"],
    [["start", "--mesa-port"], "Option '--mesa-port <value>' argument missing"],
    [
      ["start", "--mesa-port", "http"],
      "--mesa-port must be a port number from 0 to 65535 (0 picks a free port), got 'http'",
    ],
    [
      ["start", "--superserve-port", "70000"],
      "--superserve-port must be a port number from 0 to 65535",
    ],
    [
      ["start", "--mesa-port", "7000", "--superserve-port", "7000"],
      "the Mesa and Superserve ports must differ (both 7000)",
    ],
    [["status", "--mesa-port", "7000"], "--mesa-port applies to start only"],
    [["stop", "--data-dir", " "], "--data-dir needs a directory"],
    [["status", "--json=yes"], "Option '--json' does not take an argument"],
  ])("rejects %j with a message naming the fault", (argv, message) => {
    expect(() => parseCli(argv, {}, cwd)).toThrow(message);
  });

  it("names the environment variable when its value is bad", () => {
    expect(() => parseCli(["start"], { PSM_SUPERSERVE_PORT: "-1" }, cwd)).toThrow(
      "PSM_SUPERSERVE_PORT must be a port number from 0 to 65535",
    );
    expect(
      parseCli(["status"], { PSM_MESA_PORT: "not used by status" }, cwd),
      "status does not read the ports",
    ).toMatchObject({ command: "status" });
  });

  it("takes test upstreams on start only, as host=url", () => {
    expect(
      parseCli(
        [
          "start",
          "--upstream",
          "api.example.test=http://127.0.0.1:8080",
          "--upstream",
          "b.test=tcp://127.0.0.1:9",
        ],
        {},
        cwd,
      ),
    ).toMatchObject({
      upstreams: { "api.example.test": "http://127.0.0.1:8080", "b.test": "tcp://127.0.0.1:9" },
    });
    expect(() => parseCli(["start", "--upstream", "api.example.test"], {}, cwd)).toThrow(
      /--upstream must be <host>=<url>/,
    );
    expect(() => parseCli(["status", "--upstream", "a.test=http://127.0.0.1:1"], {}, cwd)).toThrow(
      /--upstream applies to start only/,
    );
  });
});
