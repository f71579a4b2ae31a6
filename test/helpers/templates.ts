/** Templates a team made: the service's built-in `superserve/…` templates are listed too, but no test made them. */
export function teamTemplates<T extends { name: string }>(templates: readonly T[]): T[] {
  return templates.filter((t) => !t.name.startsWith("superserve/"));
}
