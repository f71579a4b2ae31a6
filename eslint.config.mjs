// Lint rules: typescript-eslint's type-aware recommended set (floating promises and misused
// promises matter in Pulumi programs and in servers), with formatting left to prettier.
import js from "@eslint/js";
import globals from "globals";
import prettier from "eslint-config-prettier";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["**/dist/", "**/node_modules/", ".local-data/", ".pulumi-state/", ".runtime/"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["*.mjs", "*.mts"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      // `typeof import("…")` stays allowed: modules loaded lazily (the SDKs inside provider
      // methods, ESM-only packages from CommonJS) are typed that way.
      "@typescript-eslint/consistent-type-imports": [
        "error",
        { fixStyle: "inline-type-imports", disallowTypeAnnotations: false },
      ],
      eqeqeq: ["error", "always", { null: "ignore" }],
      // A handler declared before the variable it closes over is assigned (signal handlers).
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      // Provider methods and emulator handlers are async by contract (the dynamic-provider and
      // handler interfaces return promises) even when a given one has nothing to await.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // Dynamic providers load their SDKs and implementation modules inside the methods, at call
    // time (DESIGN.md), which in CommonJS output is `require`.
    files: ["provider/**/*.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // Tests read values that Pulumi's dynamic-provider interfaces and JSON bodies type as `any`,
    // and check them at run time with expect(); the unsafe-any rules guard the shipped code.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: globals.node,
    },
  },
  prettier,
);
