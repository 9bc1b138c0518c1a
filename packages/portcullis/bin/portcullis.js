#!/usr/bin/env node
"use strict";
// The `portcullis` command. A committed file rather than dist/cli/main.js itself: in a checkout
// `npm ci` links bins before the first build, and it skips a bin whose target does not exist yet.
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const main = join(__dirname, "..", "dist", "cli", "main.js");
if (!existsSync(main)) {
  process.stderr.write("portcullis: the CLI is not built yet: run `npm run build` at the root of the portcullis checkout\n");
  process.exit(1);
}
require(main);
