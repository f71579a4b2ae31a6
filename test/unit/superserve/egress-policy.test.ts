import { describe, expect, it } from "vitest";
import { EgressPolicy, RuleError } from "../../../local/superserve/egress";
import { hostMatches } from "../../../local/superserve/egress/policy";

const policy = (allow_out: string[], deny_out: string[]) =>
  EgressPolicy.compile({ allow_out, deny_out });

describe("egress policy", () => {
  it("allows everything public by default, as the service does", () => {
    const p = policy([], []);
    expect(
      p.decide("example.com", "203.0.113.10"),
      "a documentation-range address stands for a public one",
    ).toEqual({
      verdict: "allowed",
    });
    expect(p.decide(undefined, "8.8.8.8").verdict).toBe("allowed");
  });

  it("always blocks private, loopback, link-local, CGNAT and ULA addresses, whatever allow_out says", () => {
    const p = policy(["0.0.0.0/0", "internal.example.com"], []);
    const cases: [string, string][] = [
      ["10.1.2.3", "private:10.0.0.0/8"],
      ["172.20.0.1", "private:172.16.0.0/12"],
      ["192.168.1.1", "private:192.168.0.0/16"],
      ["127.0.0.1", "private:127.0.0.0/8"],
      ["169.254.169.254", "private:169.254.0.0/16"],
      ["100.64.0.1", "private:100.64.0.0/10"],
      ["::1", "private:::1/128"],
      ["fd00::1", "private:fc00::/7"],
      ["fe80::1", "private:fe80::/10"],
      ["::ffff:10.0.0.1", "private:10.0.0.0/8"],
    ];
    for (const [ip, rule] of cases)
      expect(p.decide("internal.example.com", ip), `${ip} must be blocked`).toEqual({
        verdict: "blocked",
        matchRule: rule,
      });
  });

  it("lets allow rules win over deny rules and names the rule that decided", () => {
    const p = policy(["api.openai.com", "*.github.com", "140.82.112.0/20"], ["0.0.0.0/0"]);
    expect(p.decide("api.openai.com", "203.0.113.5")).toEqual({
      verdict: "allowed",
      matchRule: "api.openai.com",
    });
    expect(p.decide("a.b.github.com", "203.0.113.5"), "wildcards match at any depth").toEqual({
      verdict: "allowed",
      matchRule: "*.github.com",
    });
    expect(
      p.decide("github.com", "203.0.113.5"),
      "a wildcard does not match the bare domain",
    ).toEqual({
      verdict: "blocked",
      matchRule: "0.0.0.0/0",
    });
    expect(p.decide(undefined, "140.82.113.4")).toEqual({
      verdict: "allowed",
      matchRule: "140.82.112.0/20",
    });
    expect(p.decide("other.example.com", "198.51.100.1")).toEqual({
      verdict: "blocked",
      matchRule: "0.0.0.0/0",
    });
    expect(p.decide("other.example.com", "2001:db8::1"), "0.0.0.0/0 covers IPv6 too").toEqual({
      verdict: "blocked",
      matchRule: "0.0.0.0/0",
    });
  });

  it("matches a CIDR deny only against the address; an unknown address meets only /0 rules", () => {
    const p = policy([], ["198.51.100.0/24"]);
    expect(p.decide("x.example.com", "198.51.100.77")).toEqual({
      verdict: "blocked",
      matchRule: "198.51.100.0/24",
    });
    expect(p.decide("x.example.com", "198.51.101.1").verdict).toBe("allowed");
    expect(p.decide("mesa.dev", undefined).verdict, "a served host has no known address").toBe(
      "allowed",
    );
    expect(policy([], ["0.0.0.0/0"]).decide("mesa.dev", undefined)).toEqual({
      verdict: "blocked",
      matchRule: "0.0.0.0/0",
    });
  });

  it("refuses entries the service refuses, naming the entry", () => {
    const refused = (allow: string[], deny: string[]) => {
      try {
        policy(allow, deny);
      } catch (err) {
        return err instanceof RuleError ? `${err.field}: ${err.message}` : String(err);
      }
      return "accepted";
    };
    expect(refused([], ["example.com"])).toMatch(/^network\.deny_out\[0\]: .*CIDRs only/);
    expect(refused(["ok.example.com", "bad host!"], [])).toMatch(/^network\.allow_out\[1\]/);
    expect(refused(["10.0.0.0/33"], [])).toMatch(/^network\.allow_out\[0\]/);
    expect(refused(["8.8.8.8", "2001:db8::/32", "*.example.com"], ["0.0.0.0/0", "::/0"])).toBe(
      "accepted",
    );
  });

  it("matches secret hosts' wildcards one label deep only", () => {
    expect(hostMatches("*.example.com", "api.example.com", false)).toBe(true);
    expect(hostMatches("*.example.com", "a.api.example.com", false)).toBe(false);
    expect(hostMatches("*.example.com", "a.api.example.com", true)).toBe(true);
    expect(
      hostMatches("API.Example.com", "api.example.com.", false),
      "case and a trailing dot do not matter",
    ).toBe(true);
  });
});
