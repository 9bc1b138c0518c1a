import type { Config } from "jest";

// Tests run against the TypeScript sources (mapped below) so a change is tested without a
// rebuild; the pack-install test is the one that exercises the built dist/ output.
const config: Config = {
  testEnvironment: "node",
  roots: ["<rootDir>/packages", "<rootDir>/examples"],
  testMatch: ["**/test/**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", {}],
    // otplib (@portcullis/mfa's TOTP) loads @scure/base and @noble/hashes 2, which ship only as ES
    // modules: Node 20.19+ requires them natively, jest's module loader (before Node 24.9) cannot,
    // so the tests compile those two to CommonJS.
    "/node_modules/(@scure/base|@noble/hashes)/.+\\.js$": ["@swc/jest", {}],
  },
  transformIgnorePatterns: ["^(?!.*/node_modules/(@scure/base|@noble/hashes)/).*/node_modules/"],
  moduleNameMapper: {
    "^@portcullis/([a-z-]+)/internal$": "<rootDir>/packages/$1/src/internal",
    "^@portcullis/([a-z-]+)$": "<rootDir>/packages/$1/src",
    "^portcullis$": "<rootDir>/packages/portcullis/src",
  },
  testTimeout: 30_000,
};

export default config;
