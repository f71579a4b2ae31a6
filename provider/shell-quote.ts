/**
 * `value` as one single-quoted POSIX shell word (embedded `'` closed, escaped and reopened).
 * Exported as `pulumi-superserve-mesa/shell-quote` for the local backends, so both packages
 * quote with this one function.
 */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
