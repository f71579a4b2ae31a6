/**
 * The local Superserve: control plane and data plane of Superserve over Linux-namespace
 * sandboxes on this machine, for the unmodified `@superserve/sdk`. See README.md.
 */
export { startLocalSuperserve, type LocalSuperserve, type LocalSuperserveOptions } from "./server";
export {
  dataPlaneDispatcher as superserveDataPlaneDispatcher,
  routeDataPlaneTo as routeSuperserveDataPlane,
} from "../../provider/data-plane";
export { ManualClock, systemClock, type Clock, type Timer } from "./clock";
export { ApiError, errors } from "./errors";
