#!/usr/bin/env node
// The public surface of every published package, as @microsoft/api-extractor reports it from the
// built declarations (packages/<name>/api/<name>.api.md, committed). `--update` rewrites the
// reports; without it, a report that differs from the committed one fails: a change to the public
// API must be made on purpose, and reviewed as a change of that file.
"use strict";
const { existsSync, mkdirSync, readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const { Extractor, ExtractorConfig } = require("@microsoft/api-extractor");

const update = process.argv.includes("--update");
const root = join(__dirname, "..");
const packages = readdirSync(join(root, "packages")).filter((name) => {
  const manifest = join(root, "packages", name, "package.json");
  return existsSync(join(root, "packages", name, "api-extractor.json")) && !JSON.parse(readFileSync(manifest, "utf8")).private;
});

const changed = [];
for (const name of packages) {
  const folder = join(root, "packages", name);
  mkdirSync(join(folder, "api"), { recursive: true });
  const config = ExtractorConfig.loadFileAndPrepare(join(folder, "api-extractor.json"));
  const result = Extractor.invoke(config, {
    localBuild: update,
    messageCallback(message) {
      // Only what changes the verdict is worth a line: the report's own "file changed" notice.
      if (message.messageId !== "console-api-report-changed" && message.messageId !== "console-api-report-created") message.handled = true;
    },
  });
  if (!result.succeeded || result.apiReportChanged) changed.push(name);
}

if (changed.length > 0 && !update) {
  console.error(
    `The public API of ${changed.join(", ")} differs from packages/<name>/api/*.api.md.\n` +
      "If the change is intended, run `npm run api:update` and commit the reports.",
  );
  process.exit(1);
}
console.log(update ? `API reports written for ${packages.length} packages.` : `API reports match for ${packages.length} packages.`);
