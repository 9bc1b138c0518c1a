// Mutation testing of the authorization decisions (see TESTING.md). One Stryker run per package:
// `npm run mutation` runs them all, `npm run mutation -- core mfa` some. A run mutates only the
// package's decision modules below and runs only that package's tests, so a static mutant (one in
// a module-level constant, which perTest coverage cannot pin to tests) re-runs one package's suite
// rather than the repository's.

/**
 * Per package, the decision modules that are mutated (under src/) and, where the package's whole
 * suite is slow and mostly about other things, the test files that run (under test/): the unit
 * tests of those modules. Each mutant's run loads every test file it is given, so on two cores
 * a whole suite (mfa's: 20 test files over both Express projects) costs 30 to 60 s per mutant.
 */
export const targets = {
  core: {
    mutate: ["scope-policy.ts", "scope-grammar.ts", "scope-refusal.ts", "key-format.ts"],
    tests: ["scope-*.test.ts", "key-format*.test.ts", "challenge.test.ts"],
  },
  "require-scope": { mutate: ["require-scope.ts", "endpoint.ts", "require-recent-auth.ts"] },
  "redact-response": { mutate: ["redaction-path.ts", "redaction-rules.ts", "decide-redaction.ts"] },
  "login-rate-limit": { mutate: ["decide-login-attempt.ts"] },
  "api-key-auth": { mutate: ["decide-key-rate-limit.ts"], tests: ["decide-key-rate-limit.test.ts"] },
  "session-auth": { mutate: ["session-data.ts", "same-site.ts", "secure-connection.ts"], tests: ["session-data.test.ts", "same-site.test.ts", "secure-cookie.test.ts"] },
  mfa: { mutate: ["totp.ts", "recovery-codes.ts", "second-factor.ts"], tests: ["totp.test.ts", "second-factor.test.ts", "mfa-secrets.test.ts"] },
};

const name = process.env.MUTATION_PACKAGE;
if (!name || !Object.hasOwn(targets, name)) {
  throw new Error(`stryker.config.mjs: set MUTATION_PACKAGE to one of ${Object.keys(targets).join(", ")} (npm run mutation does)`);
}

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "jest",
  plugins: ["@stryker-mutator/jest-runner"],
  mutate: targets[name].mutate.map((file) => `packages/${name}/src/${file}`),
  // The root jest config (its transforms and @portcullis/* mapping), limited to this package's tests
  // less those on a Redis Cluster or Sentinel: they start several servers per run and check
  // placement and fail-over, not decisions.
  jest: {
    projectType: "custom",
    configFile: "jest.config.ts",
    config: {
      roots: [`<rootDir>/packages/${name}`],
      ...(targets[name].tests && { testMatch: targets[name].tests.map((file) => `<rootDir>/packages/${name}/test/${file}`) }),
      testPathIgnorePatterns: ["/node_modules/", "-cluster\\.test\\.ts$", "sentinel"],
    },
  },
  coverageAnalysis: "perTest",
  // Two cores, shared: one test process keeps the machine usable.
  concurrency: 1,
  // Each mutant's run loads every test file of the package again (a second or two each, more when
  // others load the machine) though only the covering tests run. Stryker's default 5 s margin over
  // the dry run's timing then turns killed and surviving mutants alike into Timeouts (counted as
  // detected), each followed by a restart of the test process.
  timeoutMS: 30_000,
  // Only what the tests load is copied into the sandbox. Stryker links the root node_modules and
  // copies no other: a package's own (core's newer lru-cache) is copied explicitly.
  ignorePatterns: ["/bench", "/examples", "/docs", "/packs", "/reports", "/packages/*/dist", "/coverage", "*.tsbuildinfo", "!/packages/*/node_modules"],
  tempDirName: ".stryker-tmp",
  reporters: ["clear-text", "json", "progress"],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  clearTextReporter: { allowEmojis: false, logTests: false, reportTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 90, break: null },
};
