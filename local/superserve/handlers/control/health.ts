import type { ControlHandler } from "../context";

/** The version `GET /health` reports, the vendor's (its spec and service answer `0.1.0`). */
const API_VERSION = "0.1.0";

/** `GET /health`: no credential, as on the service. */
export const health: ControlHandler = async () => ({
  status: 200,
  body: { status: "ok", version: API_VERSION },
});
