/** `value` as one single-quoted POSIX shell word (embedded `'` closed, escaped and reopened). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
