import { describe, expect, it } from "vitest";
import { placeholderFor } from "../../../local/superserve/egress";

const classes = (s: string) =>
  s.replace(/[a-z]/g, "a").replace(/[A-Z]/g, "A").replace(/[0-9]/g, "9");

describe("secret placeholders", () => {
  it("keep the vendor prefix, the length and each character's class, and differ from the value", () => {
    for (const value of [
      "sk-ant-api03-AbCdEf0123456789xyzXYZ-_abc",
      "ghp_0123456789abcdefABCDEF0123456789abcd",
      "mesa_9f8e7d6c5b4a39281706f5e4d3c2b1a0",
      "lin_api_ZZZZyyyy0000",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    ]) {
      const p = placeholderFor(value);
      expect(p, `placeholder of ${value}`).not.toBe(value);
      expect(p.length).toBe(value.length);
      expect(classes(p), "every character keeps its class").toBe(classes(value));
    }
    expect(placeholderFor("sk-ant-api03-AbCdEf0123456789xyz")).toMatch(/^sk-ant-api03-/);
    expect(placeholderFor("ghp_0123456789abcdefABCDEF")).toMatch(/^ghp_/);
  });

  it("keep no part of a hex or UUID value (no vendor prefix there)", () => {
    const uuid = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    const p = placeholderFor(uuid);
    expect(p.slice(0, 8), "the first group is random").not.toBe(uuid.slice(0, 8));
    expect(placeholderFor("deadbeef-cafe-f00d-0123-456789abcdef").startsWith("deadbeef-")).toBe(
      false,
    );
  });

  it("are fresh at every binding", () => {
    const value = "sk-live-0123456789abcdefghij";
    expect(placeholderFor(value)).not.toBe(placeholderFor(value));
  });
});
