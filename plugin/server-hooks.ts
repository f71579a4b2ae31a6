/**
 * Two gaps of `@pulumi/pulumi/provider`'s gRPC server, filled where it registers its service:
 *
 * - it answers `Configure` itself without passing the request on to the provider, so the plugin
 *   keeps the request's variables here: the stack config of the `superserve-mesa` namespace
 *   (`superserve-mesa:mesaApiKey`, …; secrets arrive decrypted);
 * - its `Read` assumes properties, which an import (`pulumi import`) does not send: an import's
 *   read gets empty properties, which the plugin's `read` treats as an import.
 */
import { createRequire } from "node:module";
import { CONFIG_NAMESPACE, type ConfigSource } from "../provider/config";
import { PACKAGE_NAME } from "./types";

interface Call {
  request: {
    getVariablesMap(): { entries(): Iterable<[string, string]> };
    getProperties(): unknown;
    setProperties(value: unknown): void;
  };
}
type Handler = (call: Call, callback: unknown) => unknown;
type AddService = (this: unknown, service: unknown, implementation: unknown) => void;

/**
 * Install the hooks (call before `main()`); the returned source answers the providers' config
 * lookups (`pulumi-superserve-mesa:<key>`) from the plugin's own namespace (`superserve-mesa:<key>`).
 */
export function hookProviderServer(): ConfigSource {
  const variables = new Map<string, string>();
  // The modules of @pulumi/pulumi itself: the gRPC server its provider server registers with.
  const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
  const grpc = pulumiRequire("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
  const { Struct } = pulumiRequire("google-protobuf/google/protobuf/struct_pb") as {
    Struct: new () => unknown;
  };
  const addService = Reflect.get(grpc.Server.prototype, "addService") as AddService;
  grpc.Server.prototype.addService = function (service, implementation) {
    const server = implementation as unknown as { configure?: Handler; read?: Handler };
    const { configure, read } = server;
    if (typeof configure !== "function" || typeof read !== "function")
      return addService.call(this, service, implementation);
    const hooked = Object.create(server) as { configure: Handler; read: Handler };
    hooked.configure = (call, callback) => {
      for (const [key, value] of call.request.getVariablesMap().entries())
        variables.set(key.replace(":config:", ":"), value);
      return configure.call(server, call, callback);
    };
    hooked.read = (call, callback) => {
      if (!call.request.getProperties()) call.request.setProperties(new Struct());
      return read.call(server, call, callback);
    };
    return addService.call(this, service, hooked);
  };
  return {
    get(key) {
      const [namespace, name] = key.split(":");
      if (namespace !== CONFIG_NAMESPACE || name === undefined) return undefined;
      return variables.get(`${PACKAGE_NAME}:${name}`);
    },
  };
}
