#!/usr/bin/env node
// Mutation testing of the decision modules (TESTING.md): one Stryker run per package named in
// stryker.config.mjs, then one table of per-file scores. Not part of `npm test`: it takes minutes.
//   npm run mutation                   # every package
//   npm run mutation -- core mfa       # some
// Exits 1 when a run fails or a file scores under the 90 % floor.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const FLOOR = 90;
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// The config throws on import without a package: give it one to read the table of targets.
process.env.MUTATION_PACKAGE ??= "core";
const { targets } = await import(join(root, "stryker.config.mjs"));
// The package exports no bin path: find its folder through its package.json.
const stryker = join(dirname(createRequire(join(root, "package.json")).resolve("@stryker-mutator/core/package.json")), "bin", "stryker.js");

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !Object.hasOwn(targets, name));
if (unknown.length > 0) {
  process.stderr.write(`mutation: unknown package ${unknown.join(", ")}; one of ${Object.keys(targets).join(", ")}\n`);
  process.exit(2);
}

const rows = [];
let failed = false;
for (const name of asked.length > 0 ? asked : Object.keys(targets)) {
  const started = Date.now();
  process.stdout.write(`\n== mutation: ${name} ==\n`);
  const run = spawnSync(process.execPath, [stryker, "run", "stryker.config.mjs"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, MUTATION_PACKAGE: name },
  });
  if (run.status !== 0) {
    process.stderr.write(`mutation: the Stryker run of ${name} failed (exit ${run.status ?? run.signal})\n`);
    failed = true;
    continue;
  }
  const report = JSON.parse(readFileSync(join(root, "reports", "mutation", `${name}.json`), "utf8"));
  for (const [file, { mutants }] of Object.entries(report.files)) rows.push({ file, ...count(mutants) });
  rows.push({ file: `(${name}: ${Math.round((Date.now() - started) / 1000)} s)` });
}

process.stdout.write("\n| file | killed | timeout | survived | no coverage | ignored | score |\n| --- | --- | --- | --- | --- | --- | --- |\n");
for (const row of rows) {
  if (row.score === undefined) {
    process.stdout.write(`| ${row.file} | | | | | | |\n`);
    continue;
  }
  const { file, killed, timeout, survived, noCoverage, ignored, score } = row;
  process.stdout.write(`| ${file} | ${killed} | ${timeout} | ${survived} | ${noCoverage} | ${ignored} | ${score.toFixed(1)} % |\n`);
  if (score < FLOOR) {
    process.stderr.write(`mutation: ${file} scores ${score.toFixed(1)} %, under ${FLOOR} %\n`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);

/** Stryker's mutation score: detected over detected plus undetected; ignored and invalid mutants do not count. */
function count(mutants) {
  const by = (status) => mutants.filter((mutant) => mutant.status === status).length;
  const [killed, timeout, survived, noCoverage, ignored] = ["Killed", "Timeout", "Survived", "NoCoverage", "Ignored"].map(by);
  const valid = killed + timeout + survived + noCoverage;
  return { killed, timeout, survived, noCoverage, ignored, score: valid === 0 ? 100 : (100 * (killed + timeout)) / valid };
}
