/**
 * The plugin's configuration, as the engine sends it in `Configure`: the stack config of the
 * `superserve-mesa` namespace (`superserve-mesa:mesaApiKey`, …; secrets arrive decrypted).
 *
 * `@pulumi/pulumi/provider`'s server answers `Configure` itself and does not pass the request on
 * to the provider, so {@link captureConfigure} wraps that handler as the server registers its gRPC
 * service, and keeps the variables before the server answers.
 */
import { createRequire } from "node:module";
import { CONFIG_NAMESPACE, type ConfigSource } from "../provider/config";
import { PACKAGE_NAME } from "./types";

interface ConfigureCall {
  request: { getVariablesMap(): { entries(): Iterable<[string, string]> } };
}
type Handler = (call: ConfigureCall, callback: unknown) => unknown;
type AddService = (this: unknown, service: unknown, implementation: unknown) => void;

/**
 * Start keeping the variables of every `Configure` request the provider server receives; the
 * returned source answers the providers' lookups (`pulumi-superserve-mesa:<key>`) with the
 * plugin's own namespace (`superserve-mesa:<key>`). Call before `main()`.
 */
export function captureConfigure(): ConfigSource {
  const variables = new Map<string, string>();
  // The gRPC module of @pulumi/pulumi itself: the one its provider server registers with.
  const grpc = createRequire(require.resolve("@pulumi/pulumi/package.json"))(
    "@grpc/grpc-js",
  ) as typeof import("@grpc/grpc-js");
  const addService = Reflect.get(grpc.Server.prototype, "addService") as AddService;
  grpc.Server.prototype.addService = function (service, implementation) {
    const server = implementation as unknown as { configure?: Handler };
    const configure = server.configure;
    if (typeof configure === "function") {
      const wrapped = Object.create(server) as { configure: Handler };
      wrapped.configure = (call, callback) => {
        for (const [key, value] of call.request.getVariablesMap().entries())
          variables.set(key.replace(":config:", ":"), value);
        return configure.call(server, call, callback);
      };
      return addService.call(this, service, wrapped);
    }
    return addService.call(this, service, implementation);
  };
  return {
    get(key) {
      const [namespace, name] = key.split(":");
      if (namespace !== CONFIG_NAMESPACE || name === undefined) return undefined;
      return variables.get(`${PACKAGE_NAME}:${name}`);
    },
  };
}
