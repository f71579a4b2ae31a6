/**
 * The generated SDKs (sdk/<language>, README "Other languages"): every one is what
 * scripts/gen-sdk.sh generates from plugin/schema.json now, and the Java SDK compiles with Maven
 * against the pinned `com.pulumi:pulumi` (the Maven repository cached outside the repository,
 * filled from Maven Central on a fresh machine). The Python SDK is installed and the Go SDK
 * compiled elsewhere (test/e2e/plugin-languages.test.ts, scripts/gen-sdk.sh); no .NET SDK is
 * installable here, so the .NET SDK is checked for being in step only.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../../..");
const CACHE =
  process.env.PSM_PULUMI_CACHE ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "pulumi-superserve-mesa");
const LANGUAGES = ["python", "go", "dotnet", "java"];
/** Building the generators the first time (two Go builds) takes minutes; then well under a second. */
const GENERATORS_TIMEOUT = 900_000;

const temps: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function genSdk(args: string[], env: NodeJS.ProcessEnv = {}) {
  const run = spawnSync("bash", [join(ROOT, "scripts/gen-sdk.sh"), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: GENERATORS_TIMEOUT,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The text of the single match of `pattern`'s first group in `text`, named `what` when absent. */
function match(text: string, pattern: RegExp, what: string): string {
  const found = pattern.exec(text);
  if (!found) throw new Error(`no ${what} (${pattern}) found`);
  return found[1];
}

describe("the generated SDKs", () => {
  it(
    "are in step with plugin/schema.json in every language (run scripts/gen-sdk.sh to update)",
    () => {
      const { status, output } = genSdk(["--check", ...LANGUAGES]);
      expect(status, output).toBe(0);
      for (const language of LANGUAGES)
        expect(output).toContain(`sdk/${language} is in step with the schema`);
    },
    GENERATORS_TIMEOUT,
  );

  it(
    "fail the check, naming the files, when a copy differs from what the schema generates",
    () => {
      const copy = tempDir("psm-sdk-");
      cpSync(join(ROOT, "sdk", "java"), join(copy, "java"), { recursive: true });
      cpSync(join(ROOT, "sdk", "dotnet"), join(copy, "dotnet"), { recursive: true });
      const source = join(
        copy,
        "java/src/main/java/com/superservemesa/superservemesa/MesaRepo.java",
      );
      writeFileSync(source, readFileSync(source, "utf8").replace("class MesaRepo", "class Repo"));
      rmSync(join(copy, "dotnet", "MesaRepo.cs"));
      writeFileSync(join(copy, "dotnet", "Stale.cs"), "// left over\n");

      const java = genSdk(["--check", "java"], { PSM_SDK_DIR: copy });
      expect(java.status, java.output).toBe(1);
      expect(java.output).toContain(
        "src/main/java/com/superservemesa/superservemesa/MesaRepo.java (differs)",
      );

      const dotnet = genSdk(["--check", "dotnet"], { PSM_SDK_DIR: copy });
      expect(dotnet.status, dotnet.output).toBe(1);
      expect(dotnet.output).toContain("MesaRepo.cs (missing)");
      expect(dotnet.output).toContain("Stale.cs (not generated)");
    },
    GENERATORS_TIMEOUT,
  );

  it("build the Java SDK at the package's version with the generator's own Java SDK", () => {
    const pom = readFileSync(join(ROOT, "sdk/java/pom.xml"), "utf8");
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    expect(
      match(pom, /<artifactId>superserve-mesa<\/artifactId>\s*<version>([^<]+)</, "SDK version"),
    ).toBe(version);
    const generator = match(
      readFileSync(join(ROOT, "scripts/gen-sdk.sh"), "utf8"),
      /pulumi-java\/pkg@v([0-9.]+)/,
      "pulumi-java generator version",
    );
    expect(
      match(
        pom,
        /<artifactId>pulumi<\/artifactId>\s*<version>([^<]+)</,
        "com.pulumi:pulumi version",
      ),
    ).toBe(generator);
  });

  it("compile in Java with Maven (com.pulumi:pulumi from Maven Central, cached outside the repository), and the README's example with them", () => {
    const build = tempDir("psm-java-sdk-");
    const example = tempDir("psm-java-example-");
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    writeFileSync(
      join(example, "App.java"),
      [
        "import com.pulumi.Pulumi;",
        "import com.superservemesa.superservemesa.*;",
        "import com.superservemesa.superservemesa.inputs.*;",
        "public class App {",
        "  public static void main(String[] args) {",
        "    Pulumi.run(ctx -> {",
        match(readme, /```java\n([\s\S]*?)```/, "Java example in the README"),
        "    });",
        "  }",
        "}",
      ].join("\n"),
    );
    const run = spawnSync(
      "mvn",
      [
        "-B",
        "-q",
        "-f",
        join(ROOT, "sdk/java/pom.xml"),
        `-Dmaven.repo.local=${join(CACHE, "maven-repository")}`,
        `-DbuildDir=${build}`,
        `-DtestSources=${example}`,
        "test-compile",
        "jar:jar",
      ],
      { encoding: "utf8", timeout: 600_000 },
    );
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    const jar = join(build, "superserve-mesa-0.1.0.jar");
    const listing = spawnSync("jar", ["tf", jar], { encoding: "utf8" });
    expect(listing.status, listing.stderr).toBe(0);
    for (const entry of [
      "com/superservemesa/superservemesa/MesaRepo.class",
      "com/superservemesa/superservemesa/AgentEnvironment.class",
      "com/superservemesa/superservemesa/Provider.class",
      "com/superservemesa/superservemesa/Config.class",
      "com/superservemesa/superserve-mesa/version.txt",
    ])
      expect(listing.stdout.split("\n"), `${entry} in the SDK's jar`).toContain(entry);
    expect(
      existsSync(join(build, "test-classes", "App.class")),
      "the README's example compiled",
    ).toBe(true);
  }, 600_000);
});
