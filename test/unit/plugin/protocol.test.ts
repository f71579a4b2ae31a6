import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { describe, expect, it } from "vitest";
import { unwrapSecrets, wrapSecrets } from "../../../plugin/secrets";
import { typeNameOf } from "../../../plugin/types";

const secret = (value: unknown) => ({ [specialSigKey]: specialSecretSig, value });

describe("the plugin's protocol adapters", () => {
  it("finds the type of a resource from its URN, also under a component", () => {
    expect(typeNameOf("urn:pulumi:dev::agents::superserve-mesa:index:MesaRepo::repo")).toBe(
      "MesaRepo",
    );
    expect(
      typeNameOf(
        "urn:pulumi:dev::agents::superserve-mesa:index:AgentEnvironment$superserve-mesa:index:MountedSandbox::agents-sandbox-0",
      ),
    ).toBe("MountedSandbox");
    expect(typeNameOf("superserve-mesa:index:AgentEnvironment")).toBe("AgentEnvironment");
    expect(() => typeNameOf("urn:pulumi:dev::agents::aws:s3:Bucket::b")).toThrow(
      /not a type of the superserve-mesa package/,
    );
  });

  it("unwraps secrets anywhere for the providers and names the top-level inputs that held one", () => {
    const { plain, secret: names } = unwrapSecrets({
      name: "box",
      envVars: { TOKEN: secret("t0ken") },
      upstream: secret({ url: "https://example.test/x.git" }),
    });
    expect(plain).toEqual({
      name: "box",
      envVars: { TOKEN: "t0ken" },
      upstream: { url: "https://example.test/x.git" },
    });
    expect(names.sort()).toEqual(["envVars", "upstream"]);
  });

  it("wraps the named top-level values as secrets, once, and leaves absent ones out", () => {
    const wrapped = wrapSecrets({ name: "box", envVars: { TOKEN: "t0ken" } }, [
      "envVars",
      "upstream",
    ]);
    expect(wrapped).toEqual({ name: "box", envVars: secret({ TOKEN: "t0ken" }) });
    expect(wrapSecrets(wrapped, ["envVars"])).toEqual(wrapped);
  });
});
