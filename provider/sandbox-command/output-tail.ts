/**
 * The tail of a stream of output: the last {@link OUTPUT_TAIL_BYTES} bytes are kept (as the
 * service caps what one exec answer carries), and whether anything before them was dropped.
 */

/** Bytes of each of stdout and stderr a foreground command keeps in its outputs. */
export const OUTPUT_TAIL_BYTES = 32 * 1024;

/** Collects chunks of text, keeping only the last `limit` bytes. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  /** True once something was dropped. */
  truncated = false;

  constructor(private readonly limit = OUTPUT_TAIL_BYTES) {}

  push(text: string): void {
    const chunk = Buffer.from(text, "utf8");
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 0) {
      const extra = this.size - this.limit;
      const first = this.chunks[0];
      this.truncated = true;
      if (first.length <= extra) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(extra);
        this.size -= extra;
      }
    }
  }

  /** The kept text (a character cut in half at the start is dropped). */
  text(): string {
    return Buffer.concat(this.chunks)
      .toString("utf8")
      .replace(/^\uFFFD+/, "");
  }
}

/** The last `lines` lines of `text` (without a trailing newline). */
export function lastLines(text: string, lines: number): string {
  if (lines <= 0) return "";
  const all = text.replace(/\n$/, "").split("\n");
  return all.slice(-lines).join("\n");
}
