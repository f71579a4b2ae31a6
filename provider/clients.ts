/**
 * Vendor SDK clients built from resolved settings, inside the provider process. The SDKs are
 * loaded here, on first use, never at module load (the serialized provider must stay small).
 */
import type { Mesa } from "@mesadev/sdk" with { "resolution-mode": "import" };
import type { MesaSettings, SuperserveSettings } from "./config";

/**
 * A Mesa client. Without `org` the SDK asks `/whoami` for the key's org as it is constructed;
 * pass the org whenever it is known.
 */
export async function mesaClient(settings: MesaSettings, org?: string): Promise<Mesa> {
  const { Mesa: MesaClient } = await import("@mesadev/sdk");
  return new MesaClient({
    apiKey: settings.apiKey,
    apiUrl: settings.apiUrl,
    org: org ?? settings.org,
  });
}

/** The org to use: the configured one, else the API key's (via `/whoami`). */
export async function resolveMesaOrg(settings: MesaSettings): Promise<string> {
  if (settings.org) return settings.org;
  const mesa = await mesaClient(settings);
  return mesa.resolveOrg();
}

/** Connection options for `@superserve/sdk` calls (every static SDK method accepts them). */
export function superserveConnection(settings: SuperserveSettings): {
  apiKey: string;
  baseUrl?: string;
} {
  return settings.baseUrl
    ? { apiKey: settings.apiKey, baseUrl: settings.baseUrl }
    : { apiKey: settings.apiKey };
}

/** The `@superserve/sdk` module (CommonJS build). */
export function superserveSdk(): typeof import("@superserve/sdk") {
  return require("@superserve/sdk") as typeof import("@superserve/sdk");
}
