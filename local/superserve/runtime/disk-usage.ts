import { spawn } from "node:child_process";

/** Bytes used under `dir` (`du -sb`); 0 when it cannot be measured. */
export function diskUsage(dir: string): Promise<number> {
  return new Promise((ok) => {
    let text = "";
    const child = spawn("/usr/bin/du", ["-sb", dir], { stdio: ["ignore", "pipe", "ignore"] });
    child.stdout.on("data", (c: Buffer) => (text += c.toString()));
    child.on("close", () => ok(Number(text.split("\t")[0]) || 0));
    child.on("error", () => ok(0));
  });
}
