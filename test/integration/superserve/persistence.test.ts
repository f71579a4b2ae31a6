import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NotFoundError, Sandbox } from "@superserve/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../../local/superserve";
import { eventually } from "../../helpers/eventually";
import { readyTemplate, startServer, uniqueName } from "./harness";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("persistence and timers", () => {
  it("write → stop → start → read: sandboxes come back paused with their files and resume", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ss-persist-"));
    dirs.push(dataDir);
    const first = await startServer({ dataDir });
    const tpl = await readyTemplate(first.conn);
    const sb = await Sandbox.create({
      ...first.conn,
      name: uniqueName("p"),
      fromTemplate: tpl.name,
      metadata: { k: "v" },
    });
    await sb.files.write("/home/user/survives.txt", "across restarts");
    await first.ss.stop();

    const second = await startServer({ dataDir });
    expect(second.ss.apiKey, "the API key persists").toBe(first.ss.apiKey);
    const [listed] = await Sandbox.list({ ...second.conn, metadata: { k: "v" } });
    expect(listed?.status, "after a restart the sandbox is paused").toBe("paused");
    const again = await Sandbox.connect(sb.id, second.conn);
    expect(await again.files.readText("/home/user/survives.txt")).toBe("across restarts");
    expect(
      (await again.commands.run("cat /etc/base.txt")).stdout,
      "template layer still applies",
    ).toBe("base\n");
    await again.kill();
    await second.ss.stop();
  });

  it("timeout_seconds pauses an idle sandbox and auto_delete_seconds deletes it", async () => {
    const clock = new ManualClock();
    const h = await startServer({ clock });
    dirs.push(h.dataDir);
    const tpl = await readyTemplate(h.conn);
    const sb = await Sandbox.create({
      ...h.conn,
      name: uniqueName("t"),
      fromTemplate: tpl.name,
      timeoutSeconds: 60,
      autoDeleteSeconds: 120,
    });
    clock.advance(59_000);
    expect((await sb.getInfo()).status, "still active before the idle timeout").toBe("active");
    clock.advance(2_000);
    await eventually("auto-pause", async () => (await sb.getInfo()).status === "paused", 5000, 50);
    expect(
      (await sb.getInfo()).autoDeleteAt,
      "auto_delete_at is reported while paused",
    ).toBeInstanceOf(Date);
    clock.advance(121_000);
    await eventually(
      "auto-delete",
      () =>
        sb.getInfo().then(
          () => false,
          (e: unknown) => e instanceof NotFoundError,
        ),
      5000,
      50,
    );
    await h.cleanup();
  });
});
