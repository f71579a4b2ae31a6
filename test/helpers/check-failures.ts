/**
 * Reading check failures as the engine gets them: a failure names its field either as `property`
 * (a top-level input holding no secret) or at the start of its reason (`envVars.MESA_TOKEN: …`,
 * `repos[0].fork must be …`), never by value.
 */
export interface EngineFailure {
  property?: string;
  reason?: string;
}

/** True when `failure` names `field`. */
export function namesField(failure: EngineFailure, field: string): boolean {
  if (failure.property) return failure.property === field;
  const reason = failure.reason ?? "";
  return reason.startsWith(`${field}:`) || reason.startsWith(`${field} `);
}

/** The failure naming `field`, if any. */
export function failureOn<F extends EngineFailure>(
  failures: readonly F[] | undefined,
  field: string,
): F | undefined {
  return (failures ?? []).find((f) => namesField(f, field));
}
