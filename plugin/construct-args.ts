/**
 * A component's inputs as the component class expects them. The provider server hands `construct`
 * plain values where it can, and an Output for a top-level input that is secret or depends on
 * other resources; the component reads some inputs as plain values (`sandboxes.count`, the
 * template's fields), so a known Output becomes its value again, with a secret one's fields each
 * kept secret.
 */
import * as pulumi from "@pulumi/pulumi";

export async function constructArgs(inputs: pulumi.Inputs): Promise<Record<string, unknown>> {
  const args: Record<string, unknown> = {};
  for (const [key, input] of Object.entries(inputs)) {
    if (!pulumi.Output.isInstance(input)) {
      args[key] = input;
      continue;
    }
    const [known, secret] = await Promise.all([knownOf(input), pulumi.isSecret(input)]);
    if (!known) {
      args[key] = input;
      continue;
    }
    const value = await valueOf(input);
    args[key] =
      secret && value && typeof value === "object" && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, pulumi.secret(v)]))
        : secret
          ? input
          : value;
  }
  return args;
}

function knownOf(output: pulumi.Output<unknown>): Promise<boolean> {
  return (output as unknown as { isKnown: Promise<boolean> }).isKnown;
}

function valueOf(output: pulumi.Output<unknown>): Promise<unknown> {
  return new Promise((resolve) => output.apply(resolve));
}
