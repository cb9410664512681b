import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "schema/generated/**", "ops/neo4j/target/**", ".data/**", "web/dist/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.tsx", "**/*.mts"],
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  { files: ["ops/**/*.mjs"], languageOptions: { globals: { process: "readonly", console: "readonly" } } },
  { files: [".dependency-cruiser.cjs"], languageOptions: { sourceType: "commonjs", globals: { module: "writable" } } },
);
