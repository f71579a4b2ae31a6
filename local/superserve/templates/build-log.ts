import { EventEmitter } from "node:events";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../../shared/clock";

/** One build log event as the SDK reads it. */
interface BuildLogEvent {
  timestamp: string;
  stream: "system" | "stdout" | "stderr";
  text: string;
  finished?: true;
  status?: "ready" | "failed" | "cancelled";
}

/**
 * Build logs: appended to `<dir>/<buildId>.jsonl` (so they survive restarts) and fanned out to
 * live followers. A log is complete once its `finished` event is written.
 */
export class BuildLogs {
  private readonly live = new EventEmitter();

  constructor(
    private readonly dir: string,
    private readonly clock: Clock,
  ) {
    this.live.setMaxListeners(0);
  }

  /** Appends a line of `stream` output. */
  write(buildId: string, stream: BuildLogEvent["stream"], text: string): void {
    this.append(buildId, { timestamp: new Date(this.clock.now()).toISOString(), stream, text });
  }

  /** Appends the final event. */
  finish(buildId: string, status: "ready" | "failed" | "cancelled", text: string): void {
    this.append(buildId, {
      timestamp: new Date(this.clock.now()).toISOString(),
      stream: "system",
      text,
      finished: true,
      status,
    });
  }

  /** Every event so far. */
  read(buildId: string): BuildLogEvent[] {
    const file = this.file(buildId);
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as BuildLogEvent);
  }

  /** Calls `fn` for each new event until unsubscribed. */
  follow(buildId: string, fn: (e: BuildLogEvent) => void): () => void {
    this.live.on(buildId, fn);
    return () => this.live.off(buildId, fn);
  }

  /** The last `n` lines of output, for error messages. */
  tail(buildId: string, n: number): string {
    return this.read(buildId)
      .filter((e) => e.stream !== "system")
      .map((e) => e.text)
      .join("")
      .split("\n")
      .filter(Boolean)
      .slice(-n)
      .join("\n");
  }

  private append(buildId: string, e: BuildLogEvent): void {
    appendFileSync(this.file(buildId), JSON.stringify(e) + "\n");
    this.live.emit(buildId, e);
  }

  private file(buildId: string): string {
    return join(this.dir, `${buildId}.jsonl`);
  }
}
