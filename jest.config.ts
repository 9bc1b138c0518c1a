import type { Config } from "jest";

type Project = NonNullable<Config["projects"]>[number] & object;

// Packages that ship only as ES modules: Node 20.19+ requires them natively, jest's module loader
// (before Node 24.9) cannot, so the tests compile them to CommonJS. otplib (@portcullis/mfa's TOTP)
// loads @scure/base and @noble/hashes 2; openid-client (with oauth4webapi and jose) and
// oidc-provider serve the OpenID Connect tests.
const esmOnly = ["@scure/base", "@noble/hashes", "openid-client", "oauth4webapi", "jose", "oidc-provider"].join("|");

// Tests run against the TypeScript sources (mapped below) so a change is tested without a
// rebuild; the pack-install test is the one that exercises the built dist/ output.
const shared = {
  testEnvironment: "node",
  roots: ["<rootDir>/packages", "<rootDir>/examples"],
  testMatch: ["**/test/**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", {}],
    [`/node_modules/(${esmOnly})/.+\\.js$`]: ["@swc/jest", {}],
  },
  transformIgnorePatterns: [`^(?!.*/node_modules/(${esmOnly})/).*/node_modules/`],
  moduleNameMapper: {
    "^@portcullis/([a-z-]+)/internal$": "<rootDir>/packages/$1/src/internal",
    "^@portcullis/([a-z-]+)$": "<rootDir>/packages/$1/src",
    "^portcullis$": "<rootDir>/packages/portcullis/src",
  },
} satisfies Project;

/**
 * The suites that build Express apps, run a second time on Express 4. Redis topology suites
 * (Cluster, Sentinel) stay on Express 5 only: what they test is the store, not the framework.
 */
const express4Suites = [
  "packages/{api-key-auth,api-keys-router,require-scope,session-auth,mfa,oauth,email,login-rate-limit,redact-response}/test/**/*.test.ts",
  "packages/core/test/{error-response,final-handlers,health-routes,request-body,rate-limit-headers}.test.ts",
  "packages/testing/test/express-version.test.ts",
  "examples/*/test/{json-errors,quickstart,plexe,clarifai,demo,demo-errors,demo-email}.test.ts",
].map((glob) => `<rootDir>/${glob}`);
const express4Skipped = ["cluster", "sentinel"].map((name) => `${name}[^/]*\\.test\\.ts$`);

const config: Config = {
  projects: [
    { ...shared, displayName: "express5", globals: { expressMajor: 5 } },
    {
      ...shared,
      displayName: "express4",
      globals: { expressMajor: 4 },
      testMatch: express4Suites,
      testPathIgnorePatterns: ["/node_modules/", ...express4Skipped],
      // Every `require("express")`, in the tests and in packages/*/src alike, gets the npm alias
      // of Express 4; express/package.json too, so express-version.test.ts sees which one ran.
      moduleNameMapper: {
        ...shared.moduleNameMapper,
        "^express$": "<rootDir>/node_modules/express4",
        "^express/(.*)$": "<rootDir>/node_modules/express4/$1",
      },
    },
  ],
  testTimeout: 30_000,
};

export default config;
