import { errors } from "../errors";
import type { TemplateRecord } from "../store/records";

/** The vendor's documented template shape: min, max and default of each field. */
export const TEMPLATE_SHAPE = {
  vcpu: { min: 1, max: 4, default: 1 },
  memory_mib: { min: 256, max: 4096, default: 1024 },
  disk_mib: { min: 1024, max: 8192, default: 4096 },
} as const;

type Shape = Pick<TemplateRecord, "vcpu" | "memory_mib" | "disk_mib">;

/**
 * The shape of a `POST /templates` body, defaults filled in; a value outside the documented
 * range (or not an integer) is refused as the service refuses it: 400 `bad_request`,
 * "vcpu must be 1-4".
 */
export function templateShape(body: Record<string, unknown>): Shape {
  const shape = {} as Record<keyof Shape, number>;
  for (const field of Object.keys(TEMPLATE_SHAPE) as (keyof Shape)[]) {
    const { min, max } = TEMPLATE_SHAPE[field];
    // Absent takes the default; `null` is not absent (the spec has no nullable size).
    const v = body[field] === undefined ? TEMPLATE_SHAPE[field].default : body[field];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
      throw errors.badRequest(`${field} must be ${min}-${max}`);
    shape[field] = v;
  }
  return shape;
}
