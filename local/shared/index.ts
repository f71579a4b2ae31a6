export { RouteTable, type HttpMethod, type RouteMatch } from "./router";
export { readBody, readJsonBody, RequestBodyError } from "./body";
export { openDataDir, type DataDir } from "./data-dir";
export {
  listenHttp,
  splitUrl,
  sendJson,
  bearerToken,
  type HttpListener,
  type RequestHandler,
} from "./http-server";
export {
  FaultInjector,
  FaultSpecError,
  parseFaultSpec,
  FAULTS_PATH,
  type FaultSpec,
  type FaultInjectorOptions,
  type ErrorEnvelope,
} from "./faults";
