/** SuperserveTemplate `delete`: a template still building or in use is waited for; one already gone is fine. */
import type { OperationContext } from "../lifecycle";
import { deleteTemplate } from "./live-template";
import type { SuperserveTemplateOutputs } from "./state";

export async function deleteTemplateResource(
  id: string,
  _state: SuperserveTemplateOutputs,
  ctx: OperationContext,
): Promise<void> {
  await deleteTemplate(ctx, id);
}
