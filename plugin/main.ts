/**
 * Entry point of the provider plugin `pulumi-resource-superserve-mesa` (run by `bin/`'s script):
 * serves the package's resources to the engine for every language, with the generated schema.
 */
import "../provider/compile-cache"; // first: caches the compilation of everything loaded after it
import { main } from "@pulumi/pulumi/provider";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hookProviderServer } from "./server-hooks";
import { pluginProvider } from "./provider";

/** The repository (or installed package) root: `dist/plugin/` is two levels below it. */
const ROOT = join(__dirname, "..", "..");

const config = hookProviderServer();
const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
};
const schema = readFileSync(join(ROOT, "plugin", "schema.json"), "utf8");

main(pluginProvider({ version, schema, config }), process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
