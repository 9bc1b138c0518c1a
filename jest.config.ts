import type { Config } from "jest";

// Tests run against the TypeScript sources (mapped below) so a change is tested without a
// rebuild; the pack-install test is the one that exercises the built dist/ output.
const config: Config = {
  testEnvironment: "node",
  roots: ["<rootDir>/packages", "<rootDir>/examples"],
  testMatch: ["**/test/**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", {}] },
  moduleNameMapper: {
    "^@portcullis/([a-z-]+)$": "<rootDir>/packages/$1/src",
    "^portcullis$": "<rootDir>/packages/portcullis/src",
  },
  testTimeout: 30_000,
};

export default config;
