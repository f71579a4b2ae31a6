import { defineConfig } from "vitest/config";

// Four projects: `unit` is fast and needs nothing; `integration` starts the local backends
// in-process (port 0, temp data dirs) and drives them with the real SDKs; `conformance` runs the
// vendors' OpenAPI specs against them (schemathesis, installed by scripts/setup.sh); `e2e` drives
// the real Pulumi engine. `npm test` runs all four (scripts/test.sh).
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 10_000 } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "conformance",
          include: ["test/conformance/**/*.test.ts"],
          testTimeout: 420_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 900_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
