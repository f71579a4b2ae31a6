import { describe, expect, it } from "vitest";
import { Authenticator, hashApiKey } from "../../../local/mesa/auth";
import { ManualClock } from "../../../local/shared/clock";
import type { ApiKeyRecord, MetadataStore, OrgRecord } from "../../../local/mesa/store";

// The access-token test vector of the Mesa SDK contract: what the SDK's signer (`signAccessToken` in
// node_modules/@mesadev/sdk/dist/api/access-token.js, @mesadev/sdk 0.38.0) produces for the key
// `mesa_testkey` (id `key_123`) with scopes read+write on `acme/r1`, iat 1700000000, a 3600 s TTL
// and jti 00000000-0000-4000-8000-000000000000.
const KEY = "mesa_testkey";
const SECRET = "YWODnAI5JKJ0KolN_wnpIEXayRS1NOD7hb0s0hDbvFU";
const TOKEN =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6Im1lc2EtYXQrand0Iiwia2lkIjoia2V5XzEyMy52MSJ9.eyJpc3MiOiJrZXlfMTIzIiwiYXVkIjoibWVzYS1hcGkiLCJzY29wZXMiOlsicmVhZCIsIndyaXRlIl0sInJlcG9zIjpbImFjbWUvcjEiXSwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDM2MDAsImp0aSI6IjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMCJ9.EGJTUF5QQDZ5PhtTK0_88rR_Xy-s26EjpbnHan5Mehc";

const org: OrgRecord = {
  id: "org_1",
  slug: "acme",
  name: "Acme",
  createdAt: "2023-01-01T00:00:00.000Z",
};
const key: ApiKeyRecord = {
  id: "key_123",
  orgId: org.id,
  name: "k",
  keyHash: SECRET,
  scopes: ["read", "write", "admin"],
  repoIds: null,
  tags: {},
  expiresAt: null,
  revokedAt: null,
  createdAt: org.createdAt,
};
const store = {
  apiKeyById: (id: string) => (id === key.id ? key : undefined),
  apiKeyByHash: (h: string) => (h === key.keyHash ? key : undefined),
  orgById: (id: string) => (id === org.id ? org : undefined),
} as unknown as MetadataStore;

const authAt = async (unixSeconds: number) =>
  new Authenticator({
    store,
    jose: await import("jose"),
    clock: new ManualClock(unixSeconds * 1000),
  });

describe("access token verification (contract test vector)", () => {
  it("derives the stored secret the way the SDK does", () => {
    expect(hashApiKey(KEY)).toBe(SECRET);
  });

  it("accepts the vector within its lifetime with the requested scopes and repos", async () => {
    const p = await (await authAt(1_700_000_100)).authenticate(TOKEN);
    expect(p).toMatchObject({
      via: "access_token",
      scopes: ["read", "write"],
      tokenRepos: ["acme/r1"],
    });
    expect(p.key.id).toBe("key_123");
  });

  it("rejects the vector after exp (beyond the skew) with 401", async () => {
    await expect((await authAt(1_700_003_600 + 31)).authenticate(TOKEN)).rejects.toMatchObject({
      status: 401,
      message: expect.stringMatching(/expired/),
    });
  });

  it("accepts the raw key as a bearer", async () => {
    expect((await (await authAt(1_700_000_000)).authenticate(KEY)).via).toBe("api_key");
  });
});
