/**
 * Preloaded (`tsx --import`) before the guide's scripts: the one endpoint swap the SDKs' options
 * cannot express. The Superserve SDK takes its control plane from `SUPERSERVE_BASE_URL` but sends
 * exec/files calls to the vendor's sandbox host whatever that is; this routes them to the local
 * backend at `SUPERSERVE_BASE_URL`, as the providers do (provider/data-plane.ts).
 */
import { routeDataPlaneTo } from "../../../provider/data-plane";

const baseUrl = process.env.SUPERSERVE_BASE_URL;
if (!baseUrl) throw new Error("SUPERSERVE_BASE_URL must name the local Superserve");
routeDataPlaneTo(baseUrl);
