import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Template } from "@superserve/sdk";
import {
  startLocalSuperserve,
  type LocalSuperserve,
  type LocalSuperserveOptions,
} from "../../../local/superserve";
import { routeDataPlaneTo } from "../../../provider/data-plane";
import { uniqueName } from "../../helpers/names";

/** A fresh local Superserve on port 0 with a temp data dir, its data plane routed in this process. */
export async function startServer(opts: LocalSuperserveOptions = {}): Promise<{
  ss: LocalSuperserve;
  conn: { apiKey: string; baseUrl: string };
  dataDir: string;
  cleanup(): Promise<void>;
}> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "ss-it-"));
  const ss = await startLocalSuperserve({ killGraceMs: 1000, ...opts, dataDir });
  routeDataPlaneTo(ss.url);
  return {
    ss,
    conn: { apiKey: ss.apiKey, baseUrl: ss.url },
    dataDir,
    cleanup: async () => {
      await ss.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { uniqueName } from "../../helpers/names";

/** Builds a one-step template and waits until it is ready. */
export async function readyTemplate(
  conn: { apiKey: string; baseUrl: string },
  steps = [{ run: "echo base > /etc/base.txt" }],
) {
  const t = await Template.create({ ...conn, name: uniqueName("tpl"), from: "debian:12", steps });
  await t.waitUntilReady({ pollIntervalMs: 50 });
  return t;
}
