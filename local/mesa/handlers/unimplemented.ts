import { mesaErrors } from "../errors";
import type { Handler } from "../operations";

/** A handler answering 501 in the Mesa envelope, naming the operation. */
const notImplemented =
  (operation: string): Handler =>
  async () => {
    throw mesaErrors.notImplemented(operation);
  };

export const listWebhookTargets = notImplemented("webhookTargets.list");
export const createWebhookTarget = notImplemented("webhookTargets.create");
export const getWebhookTarget = notImplemented("GET /{org}/webhook-targets/{id}");
export const updateWebhookTarget = notImplemented("webhookTargets.update");
export const deleteWebhookTarget = notImplemented("webhookTargets.delete");
