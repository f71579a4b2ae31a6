import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeLocalEndpoints } from "../../../local/endpoints";
import type { LocalEndpoints } from "../../../provider/local-endpoints";
import { sandboxMesaApiUrl } from "../../../provider/mounted-sandbox/mount-commands";
import {
  resolveMesaSettings,
  resolveSuperserveSettings,
  type ConfigInputs,
} from "../../../provider/config";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function localDir(endpoints?: LocalEndpoints): string {
  const dir = mkdtempSync(join(tmpdir(), "psm-config-"));
  dirs.push(dir);
  if (endpoints) writeLocalEndpoints(dir, endpoints);
  return dir;
}

const localEndpoints: LocalEndpoints = {
  pid: 4242,
  dataDir: "/var/lib/psm",
  mesa: { url: "http://127.0.0.1:7001/v1", org: "local", apiKey: "mesa_local" },
  superserve: { url: "http://127.0.0.1:7002", apiKey: "ss_local" },
};

function inputs(opts: {
  config?: Record<string, string>;
  env?: Record<string, string>;
  answers?: boolean;
  endpoints?: LocalEndpoints;
}): ConfigInputs {
  const dir = localDir(opts.endpoints);
  return {
    config: { get: (k) => opts.config?.[k] },
    env: { PSM_LOCAL_DIR: dir, ...opts.env },
    cwd: dir,
    answers: async () => opts.answers ?? true,
  };
}

describe("credential resolution", () => {
  it("prefers stack config over environment over local backends", async () => {
    const all = {
      config: {
        "pulumi-superserve-mesa:mesaApiKey": "mesa_config",
        "pulumi-superserve-mesa:mesaApiUrl": "http://cfg/v1",
      },
      env: { MESA_API_KEY: "mesa_env", MESA_API_URL: "http://env/v1", MESA_ORG: "envorg" },
      endpoints: localEndpoints,
    };
    expect(await resolveMesaSettings(inputs(all))).toEqual({
      apiKey: "mesa_config",
      apiUrl: "http://cfg/v1",
      org: "envorg",
      source: "stack config",
    });
    expect(await resolveMesaSettings(inputs({ env: all.env, endpoints: localEndpoints }))).toEqual({
      apiKey: "mesa_env",
      apiUrl: "http://env/v1",
      org: "envorg",
      source: "environment",
    });
    expect(await resolveMesaSettings(inputs({ endpoints: localEndpoints }))).toEqual({
      apiKey: "mesa_local",
      apiUrl: "http://127.0.0.1:7001/v1",
      org: "local",
      source: "local backends",
    });
  });

  it("with the local backends, sandboxes get no MESA_API_URL; a custom Mesa's URL stays their override", async () => {
    const local = inputs({ endpoints: localEndpoints });
    const [mesa, superserve] = await Promise.all([
      resolveMesaSettings(local),
      resolveSuperserveSettings(local),
    ]);
    expect(sandboxMesaApiUrl(mesa.apiUrl, superserve.baseUrl)).toBeUndefined();
    const custom = inputs({
      env: { MESA_API_URL: "https://mesa.example.test/v1" },
      endpoints: localEndpoints,
    });
    const [customMesa, localSuperserve] = await Promise.all([
      resolveMesaSettings(custom),
      resolveSuperserveSettings(custom),
    ]);
    expect(sandboxMesaApiUrl(customMesa.apiUrl, localSuperserve.baseUrl)).toBe(
      "https://mesa.example.test/v1",
    );
  });

  it("uses the vendor's default endpoint when only a key is set", async () => {
    const s = await resolveSuperserveSettings(
      inputs({ env: { SUPERSERVE_API_KEY: "ss_live_x" }, endpoints: localEndpoints }),
    );
    expect(s).toEqual({
      apiKey: "ss_live_x",
      baseUrl: undefined,
      dataPlaneOrigin: undefined,
      source: "environment",
    });
  });

  it("routes the Superserve data plane only for non-superserve.ai base URLs", async () => {
    const local = await resolveSuperserveSettings(inputs({ endpoints: localEndpoints }));
    expect(local.dataPlaneOrigin).toBe("http://127.0.0.1:7002");
    const staging = await resolveSuperserveSettings(
      inputs({
        env: { SUPERSERVE_API_KEY: "k", SUPERSERVE_BASE_URL: "https://api-staging.superserve.ai" },
      }),
    );
    expect(
      staging.dataPlaneOrigin,
      "a superserve.ai base URL must not be rerouted",
    ).toBeUndefined();
  });

  it("ignores local endpoints whose backend does not answer, with one message naming every place it looked", async () => {
    const unanswered = inputs({ endpoints: localEndpoints, answers: false });
    await expect(resolveMesaSettings(unanswered)).rejects.toThrow(
      "No Mesa credentials. Looked for `pulumi-superserve-mesa:mesaApiKey` (stack config), MESA_API_KEY (environment) and the local backends' endpoints file " +
        `${join(unanswered.env.PSM_LOCAL_DIR!, "endpoints.json")} (PSM_LOCAL_DIR=${unanswered.env.PSM_LOCAL_DIR}): ` +
        "nothing answers at its Mesa URL http://127.0.0.1:7001/v1 (the backends of pid 4242 stopped?). " +
        "Set MESA_API_KEY or run `pulumi config set --secret pulumi-superserve-mesa:mesaApiKey …`; " +
        "or start the local backends with `npx pulumi-superserve-mesa-local start` in the project directory, or set PSM_LOCAL_DIR to the data directory of backends already running.",
    );
    const none = inputs({});
    await expect(resolveSuperserveSettings(none)).rejects.toThrow(
      "No Superserve credentials. Looked for `pulumi-superserve-mesa:superserveApiKey` (stack config), SUPERSERVE_API_KEY (environment) and the local backends' endpoints file " +
        `${join(none.env.PSM_LOCAL_DIR!, "endpoints.json")} (PSM_LOCAL_DIR=${none.env.PSM_LOCAL_DIR}): no such file.`,
    );
  });

  it("says where it looked when PSM_LOCAL_DIR is unset and the backends run elsewhere", async () => {
    const cwd = localDir();
    await expect(resolveMesaSettings({ env: {}, cwd, answers: async () => true })).rejects.toThrow(
      `the local backends' endpoints file ${join(cwd, ".local-data", "endpoints.json")} (PSM_LOCAL_DIR unset): no such file.`,
    );
  });

  it("finds endpoints.json under <cwd>/.local-data when PSM_LOCAL_DIR is unset", async () => {
    const cwd = localDir();
    mkdirSync(join(cwd, ".local-data"));
    writeLocalEndpoints(join(cwd, ".local-data"), localEndpoints);
    const s = await resolveMesaSettings({ env: {}, cwd, answers: async () => true });
    expect(s.source).toBe("local backends");
  });

  it("treats a corrupt endpoints.json as no local backends, without quoting it", async () => {
    const dir = localDir();
    writeFileSync(
      join(dir, "endpoints.json"),
      '{"mesa": {"url": "http://127.0.0.1:7001/v1", "apiKey": "mesa_secret_k',
    );
    const failure = resolveMesaSettings({
      env: { PSM_LOCAL_DIR: dir },
      cwd: dir,
      answers: async () => true,
    });
    await expect(failure).rejects.toThrow(
      `${join(dir, "endpoints.json")} (PSM_LOCAL_DIR=${dir}): unreadable (not the JSON the local backends write).`,
    );
    await expect(failure).rejects.not.toThrow("mesa_secret_k");
  });

  it("names a file that lacks the service's endpoint", async () => {
    const dir = localDir();
    writeFileSync(
      join(dir, "endpoints.json"),
      JSON.stringify({ pid: 1, mesa: localEndpoints.mesa }),
    );
    await expect(
      resolveSuperserveSettings({
        env: { PSM_LOCAL_DIR: dir },
        cwd: dir,
        answers: async () => true,
      }),
    ).rejects.toThrow("(PSM_LOCAL_DIR=" + dir + "): no Superserve endpoint in it.");
  });
});

describe("stacks meant for the real services", () => {
  it("never fall back to the local backends when the stack config sets localBackends: false", async () => {
    const cloud = inputs({
      config: { "pulumi-superserve-mesa:localBackends": "false" },
      endpoints: localEndpoints,
    });
    await expect(resolveMesaSettings(cloud)).rejects.toThrow(
      "No Mesa credentials. Looked for `pulumi-superserve-mesa:mesaApiKey` (stack config), MESA_API_KEY (environment); " +
        "the local backends are off for this stack (`pulumi-superserve-mesa:localBackends` is false). " +
        "Set MESA_API_KEY or run `pulumi config set --secret pulumi-superserve-mesa:mesaApiKey …`.",
    );
    await expect(resolveSuperserveSettings(cloud)).rejects.toThrow(
      /^No Superserve credentials\. .*SUPERSERVE_API_KEY .*localBackends` is false/,
    );
  });

  it("still use the configured keys", async () => {
    const cloud = inputs({
      config: { "pulumi-superserve-mesa:localBackends": "false" },
      env: { MESA_API_KEY: "mesa_real" },
      endpoints: localEndpoints,
    });
    expect((await resolveMesaSettings(cloud)).source).toBe("environment");
  });
});
