/**
 * The provider plugin's Pulumi package schema (`plugin/schema.json`), generated from the same
 * TypeScript definitions as the package's classes, so it is never written twice: each resource's
 * inputs are its `…Args` interface, its outputs the `Output<…>` members of its class, and every
 * description, default and example is the TSDoc that the README's reference (`scripts/api-docs.ts`)
 * is generated from. `npx tsx scripts/schema.ts` rewrites the file; `--check` exits 1 when it is out
 * of date (a unit test runs the check).
 *
 * Types map as a program sees them: `Input<T>` is `T`; a resource given as a reference (`…Ref`) is
 * given by name (a string) in other languages; a union of object shapes (a build step, upstream
 * credentials) is one object type with each shape's fields; a function (`transform`) has no
 * equivalent and stays TypeScript-only ({@link TYPESCRIPT_ONLY}). The provider's configuration
 * (`config.variables`, and the same keys as the provider resource's inputs) is the list the
 * providers read it from, `CONFIG_KEYS` of `provider/config.ts`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";
import { providerFiles } from "./api-docs";
import { CONFIG_KEYS } from "../provider/config";
import { CUSTOM_RESOURCES, PACKAGE_NAME, typeToken } from "../plugin/types";

const ROOT = resolve(__dirname, "..");
export const SCHEMA_PATH = join(ROOT, "plugin", "schema.json");

/** Pulumi's type of any value (an `unknown` in TypeScript, e.g. a `SandboxCommand`'s triggers). */
const ANY = "pulumi.json#/Any";

/** Args properties with no equivalent outside TypeScript, and why. */
export const TYPESCRIPT_ONLY: Record<string, string> = {
  "AgentEnvironmentArgs.transform": "functions that edit the children's args and options",
};

/** Each resource of the schema: its class and args interface in `provider/`. */
const RESOURCES = [
  { name: "MesaRepo", args: "MesaRepoArgs" },
  { name: "SuperserveTemplate", args: "SuperserveTemplateArgs" },
  { name: "MountedSandbox", args: "MountedSandboxArgs" },
  { name: "SandboxCommand", args: "SandboxCommandArgs" },
  { name: "AgentEnvironment", args: "AgentEnvironmentArgs", component: true },
] as const;

interface PropertySpec {
  type?: string;
  items?: PropertySpec;
  additionalProperties?: PropertySpec;
  oneOf?: PropertySpec[];
  $ref?: string;
  description?: string;
  secret?: boolean;
}

interface ObjectSpec {
  type: "object";
  description?: string;
  properties: Record<string, PropertySpec>;
  required?: string[];
}

class SchemaBuilder {
  readonly types: Record<string, ObjectSpec> = {};

  constructor(private readonly checker: ts.TypeChecker) {}

  /** Description of a symbol: its TSDoc text, then its default and examples. */
  describe(symbol: ts.Symbol): string | undefined {
    const text = ts.displayPartsToString(symbol.getDocumentationComment(this.checker)).trim();
    const parts = text ? [text] : [];
    for (const tag of symbol.getJsDocTags(this.checker)) {
      const body = ts.displayPartsToString(tag.text).trim();
      if (tag.name === "default") parts.push(`Default: ${body}`);
      if (tag.name === "example") parts.push(`Example (TypeScript):\n${body}`);
    }
    return parts.length > 0 ? parts.join("\n\n") : undefined;
  }

  /** The members of a union that a program in any language can give. */
  private members(type: ts.Type): ts.Type[] {
    const all = type.isUnion() ? type.types : [type];
    return all.filter((t) => {
      if (t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)) return false;
      const name = (t.aliasSymbol ?? t.getSymbol())?.getName() ?? "";
      // Input<T> = T | Promise<T> | OutputInstance<T>; a resource reference is given by name.
      return !["Promise", "OutputInstance", "Output"].includes(name) && !name.endsWith("Ref");
    });
  }

  /** The schema of a property of type `type`; `where` names it for nested type names. */
  property(type: ts.Type, where: string): PropertySpec {
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return { $ref: ANY };
    const members = this.members(type);
    if (members.length === 0) throw new Error(`${where}: no type usable outside TypeScript`);
    const primitives = new Set<string>();
    const objects: ts.Type[] = [];
    for (const t of members) {
      if (t.flags & ts.TypeFlags.StringLike) primitives.add("string");
      else if (t.flags & ts.TypeFlags.NumberLike) primitives.add("number");
      else if (t.flags & ts.TypeFlags.BooleanLike) primitives.add("boolean");
      else objects.push(t);
    }
    const specs: PropertySpec[] = [...primitives].map((p) => ({ type: p }));
    if (objects.length > 0) specs.push(this.object(objects, where));
    return specs.length === 1 ? specs[0] : { oneOf: specs };
  }

  /** An array, a map, a resource, or a named object type made of `shapes` (a union's members). */
  private object(shapes: ts.Type[], where: string): PropertySpec {
    const [first] = shapes;
    if (shapes.length === 1 && this.checker.isArrayType(first)) {
      const [element] = this.checker.getTypeArguments(first as ts.TypeReference);
      return { type: "array", items: this.property(element, where.replace(/s$/, "")) };
    }
    const index = shapes.length === 1 ? first.getStringIndexType() : undefined;
    if (index) return { type: "object", additionalProperties: this.property(index, where) };
    const named = shapes.length === 1 ? first.getSymbol()?.getName() : undefined;
    if (named && RESOURCES.some((r) => r.name === named)) {
      return { $ref: `#/resources/${typeToken(named)}` };
    }
    if (shapes.some((s) => s.getCallSignatures().length > 0))
      throw new Error(`${where}: a function has no schema type; list it in TYPESCRIPT_ONLY`);
    // A named shape keeps its name, except args interfaces, named after where they are used.
    const typeName =
      first.aliasSymbol?.getName() ??
      (named && named !== "__type" && !named.endsWith("Args") ? named : where);
    const token = typeToken(typeName);
    if (!this.types[token]) {
      const spec: ObjectSpec = { type: "object", properties: {} };
      this.types[token] = spec;
      const required = new Map<string, number>();
      for (const shape of shapes) {
        for (const prop of this.checker.getPropertiesOfType(shape)) {
          const decl = prop.valueDeclaration ?? prop.declarations?.[0];
          const propType = this.checker.getTypeOfSymbolAtLocation(prop, decl!);
          const key = prop.getName();
          spec.properties[key] ??= {
            ...this.property(propType, nestedName(prop, typeName)),
            ...optionalDescription(this.describe(prop)),
          };
          if (!(prop.flags & ts.SymbolFlags.Optional))
            required.set(key, (required.get(key) ?? 0) + 1);
        }
      }
      const always = [...required].filter(([, n]) => n === shapes.length).map(([k]) => k);
      if (always.length > 0) spec.required = always.sort();
    }
    return { $ref: `#/types/${token}` };
  }
}

/**
 * The name of the type of property `prop`: `<owner><Prop>`, where the owner is the interface that
 * declares it (without `Args`), so a shape shared by a resource and the component is one type.
 */
function nestedName(prop: ts.Symbol, fallbackOwner: string): string {
  const parent = (prop.valueDeclaration ?? prop.declarations?.[0])?.parent;
  const owner =
    parent && ts.isInterfaceDeclaration(parent)
      ? parent.name.text.replace(/Args$/, "")
      : fallbackOwner;
  const key = prop.getName();
  return `${owner}${key[0].toUpperCase()}${key.slice(1)}`;
}

function optionalDescription(description: string | undefined): { description?: string } {
  return description ? { description } : {};
}

/** Find an exported interface or class by name among the provider files. */
function declaration(
  sources: readonly ts.SourceFile[],
  name: string,
): ts.InterfaceDeclaration | ts.ClassDeclaration {
  for (const source of sources)
    for (const stmt of source.statements)
      if (
        (ts.isInterfaceDeclaration(stmt) || ts.isClassDeclaration(stmt)) &&
        stmt.name?.text === name
      )
        return stmt;
  throw new Error(`no exported interface or class ${name} in ${providerFiles().join(", ")}`);
}

/** The package schema, as a JSON-ready object. */
/** The providers' configuration keys, as schema properties (`superserve-mesa:<key>`). */
function configProperties(): Record<string, PropertySpec> {
  return Object.fromEntries(
    Object.entries(CONFIG_KEYS).map(([key, spec]) => [
      key,
      {
        type: spec.type,
        description:
          "env" in spec
            ? `${spec.description}\n\nRead from the environment variable \`${spec.env}\` when the stack config does not set it.`
            : spec.description,
        ...("secret" in spec ? { secret: true } : {}),
      },
    ]),
  );
}

export function generateSchema(): Record<string, unknown> {
  const files = providerFiles();
  const program = ts.createProgram(files, {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const builder = new SchemaBuilder(checker);
  const sources = files.map((f) => program.getSourceFile(f)!);
  const resources: Record<string, unknown> = {};
  for (const resource of RESOURCES) {
    const args = declaration(sources, resource.args) as ts.InterfaceDeclaration;
    const cls = declaration(sources, resource.name) as ts.ClassDeclaration;
    const encrypted: readonly string[] =
      resource.name in CUSTOM_RESOURCES
        ? (CUSTOM_RESOURCES[resource.name as keyof typeof CUSTOM_RESOURCES].secretOutputs ?? [])
        : [];
    const inputProperties: Record<string, PropertySpec> = {};
    const requiredInputs: string[] = [];
    const argsType = checker.getTypeAtLocation(args);
    for (const prop of checker.getPropertiesOfType(argsType)) {
      const key = prop.getName();
      if (`${resource.args}.${key}` in TYPESCRIPT_ONLY) continue;
      const type = checker.getTypeOfSymbolAtLocation(prop, prop.valueDeclaration!);
      inputProperties[key] = {
        ...builder.property(type, nestedName(prop, resource.name)),
        ...optionalDescription(builder.describe(prop)),
        ...(encrypted.includes(key) ? { secret: true } : {}),
      };
      if (!(prop.flags & ts.SymbolFlags.Optional)) requiredInputs.push(key);
    }
    const properties: Record<string, PropertySpec> = {};
    const required: string[] = [];
    for (const member of cls.members) {
      if (!ts.isPropertyDeclaration(member) || !member.type) continue;
      if (
        ts.getCombinedModifierFlags(member) &
        (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)
      )
        continue;
      const symbol = checker.getSymbolAtLocation(member.name)!;
      const key = symbol.getName();
      // `Output<T>` members are T; others (the component's children) are resources.
      const node = member.type;
      const outputOf =
        ts.isTypeReferenceNode(node) &&
        /(^|\.)Output$/.test(node.typeName.getText()) &&
        node.typeArguments;
      const type = checker.getTypeFromTypeNode(outputOf ? outputOf[0] : node);
      properties[key] = {
        ...builder.property(type, `${resource.name}${key[0].toUpperCase()}${key.slice(1)}`),
        ...optionalDescription(builder.describe(symbol)),
      };
      if (!(type.isUnion() && type.types.some((t) => t.flags & ts.TypeFlags.Undefined)))
        required.push(key);
    }
    const classSymbol = checker.getSymbolAtLocation(cls.name!)!;
    resources[typeToken(resource.name)] = {
      ...optionalDescription(builder.describe(classSymbol)),
      ...("component" in resource ? { isComponent: true } : {}),
      properties,
      required,
      inputProperties,
      requiredInputs,
    };
  }
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    version: string;
  };
  return {
    name: PACKAGE_NAME,
    displayName: "Superserve and Mesa",
    version,
    description:
      "Pulumi resources for AI-agent environments: Mesa repos, Superserve sandbox templates, and sandboxes with the Mesa repo mounted inside.",
    license: "Apache-2.0",
    meta: { moduleFormat: "(.*)" },
    language: {
      python: { packageName: "pulumi_superserve_mesa", respectSchemaVersion: true },
      nodejs: { packageName: "@superserve-mesa/pulumi", respectSchemaVersion: true },
      go: {
        importBasePath: "github.com/superserve-mesa/pulumi-superserve-mesa/sdk/go/superservemesa",
        // The component's outputs are lists of resources (sandboxResources, agentCommands).
        generateResourceContainerTypes: true,
        respectSchemaVersion: true,
      },
      csharp: { rootNamespace: "SuperserveMesa", respectSchemaVersion: true },
      // No Gradle files: sdk/java/pom.xml builds the SDK (with Maven, which this project uses).
      java: { basePackage: "com.superservemesa", buildFiles: "none" },
    },
    config: { variables: configProperties() },
    provider: {
      description: `The provider of the ${PACKAGE_NAME} resources; its inputs are the stack config \`${PACKAGE_NAME}:<key>\`.`,
      inputProperties: configProperties(),
    },
    resources,
    types: builder.types,
  };
}

export function schemaText(): string {
  return JSON.stringify(generateSchema(), null, 2) + "\n";
}

if (require.main === module) {
  const next = schemaText();
  if (process.argv.includes("--check")) {
    const current = readFileSync(SCHEMA_PATH, "utf8");
    if (current !== next) {
      console.error("plugin/schema.json is out of date: run `npx tsx scripts/schema.ts`");
      process.exit(1);
    }
  } else {
    writeFileSync(SCHEMA_PATH, next);
  }
}
