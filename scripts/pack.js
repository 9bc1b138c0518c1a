#!/usr/bin/env node
// Packs every published package (each workspace under packages/ that is not private) into one
// folder, so an app can install portcullis from a checkout before it is on the registry:
//   npm run pack                                  # builds, then packs into ./packs
//   npm install /path/to/portcullis/packs/*.tgz express
// `node scripts/pack.js --out <dir>` packs the current build into <dir> (the install test does).
"use strict";
const { execFileSync } = require("node:child_process");
const { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } = require("node:fs");
const { join, relative, resolve } = require("node:path");

const root = resolve(__dirname, "..");
const outFlag = process.argv.indexOf("--out");
const out = outFlag === -1 ? join(root, "packs") : resolve(process.argv[outFlag + 1] ?? "");
if (outFlag !== -1 && !process.argv[outFlag + 1]) {
  process.stderr.write("pack: --out needs a directory\n");
  process.exit(2);
}

const { workspaces } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const published = workspaces.filter(
  (dir) => dir.startsWith("packages/") && JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")).private !== true,
);
const unbuilt = published.filter((dir) => !existsSync(join(root, dir, "dist", "index.js")));
if (unbuilt.length > 0) {
  process.stderr.write(`pack: ${unbuilt.join(", ")} not built: run \`npm run build\` first (\`npm run pack\` does)\n`);
  process.exit(1);
}

// Old tarballs go: a glob over the folder must not pick up a previous version.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
execFileSync("npm", ["pack", "--loglevel=error", "--pack-destination", out, ...published.map((dir) => `--workspace=${dir}`)], {
  cwd: root,
  stdio: ["ignore", "ignore", "inherit"],
});

const tarballs = readdirSync(out).filter((name) => name.endsWith(".tgz"));
const shown = relative(process.cwd(), out) || ".";
process.stdout.write(`Packed ${tarballs.length} packages into ${shown}/. Install them into an app with:\n`);
process.stdout.write(`  npm install ${resolve(out)}/*.tgz express\n`);
