import { defineConfig } from "vitest/config";

// Three projects: `unit` is fast and needs nothing; `integration` starts the local backends
// in-process (port 0, temp data dirs) and drives them with the real SDKs; `e2e` drives the real
// Pulumi engine. `npm test` runs all three (scripts/test.sh).
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
