#!/usr/bin/env node
import { messageOf } from "./cli-error";
import { runCli } from "./run-cli";

// The `portcullis` binary: everything but the process itself lives in runCli, which tests call.
// exitCode rather than process.exit(), so buffered output is written before the process ends.
void runCli(process.argv.slice(2), process.env, {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // runCli does not reject; this is the last guard against a stack trace all the same.
    process.stderr.write(`portcullis: unexpected error: ${messageOf(error)}\n`);
    process.exitCode = 1;
  },
);
