import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isPortcullisError } from "@portcullis/core";
import { CliError, messageOf, unreachable, usageError } from "./cli-error";
import { runKeysCommand, type CliIo } from "./commands";
import { readConfig, readDatabaseConfig, secretsIn, type CliConfig } from "./config";
import { openKeyService, type KeyService } from "./key-service";
import { runMigrateCommand } from "./migrate-command";
import { parseCommandLine, type Command } from "./parse-args";
import { runScanCommand } from "./scan-command";
import { SCAN_USAGE } from "./usage";

export type { CliIo } from "./commands";

/**
 * The whole `portcullis` command line as a function: reads `argv` (without `node` and the
 * script) and `env`, writes through `io`, and resolves to the exit status: 0 done, 1 failed,
 * 2 wrong command line. It never rejects, never prints a stack trace, the server secret or the
 * password in REDIS_URL or DATABASE_URL, and always closes its connections.
 *
 * @example
 * const code = await runCli(["keys", "list", "--owner", "alice"], process.env, {
 *   stdout: (text) => process.stdout.write(text),
 *   stderr: (text) => process.stderr.write(text),
 * });
 */
export async function runCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo & { readonly readStdin?: () => Promise<string> },
): Promise<number> {
  const stderr = scrubbing(io.stderr, secretsIn(env));
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    return report(error, undefined, stderr);
  }
  if (command.kind === "help") {
    io.stdout(command.text);
    return 0;
  }
  if (command.kind === "version") {
    io.stdout(`${packageVersion()}\n`);
    return 0;
  }

  if (command.kind === "migrate") {
    try {
      await runMigrateCommand(readDatabaseConfig(env), command, { stdout: io.stdout, stderr });
      return 0;
    } catch (error) {
      return report(error, undefined, stderr);
    }
  }

  let config: CliConfig | undefined;
  if (command.kind === "scan") {
    try {
      // Only --check needs the store; read before any file, so a missing setting fails at once.
      config = command.check ? readConfig(env, { prefix: undefined }) : undefined;
      return await runScanCommand(command, env, config, { stdout: io.stdout, stderr, readStdin: io.readStdin ?? readProcessStdin });
    } catch (error) {
      return report(error, config, stderr);
    }
  }

  let service: KeyService | undefined;
  try {
    config = readConfig(env, command);
    service = await openKeyService(config);
    await runKeysCommand(service.keys, command, { stdout: io.stdout, stderr });
    return 0;
  } catch (error) {
    return report(error, config, stderr);
  } finally {
    await service?.close();
  }
}

/** Prints one line for the error (and the usage, for a usage error) and picks the exit status. */
function report(error: unknown, config: CliConfig | undefined, stderr: (text: string) => void): number {
  if (error instanceof CliError) {
    stderr(`portcullis: ${error.message}\n${error.usage === undefined ? "" : `\n${error.usage}`}`);
    return error.exitCode;
  }
  if (isPortcullisError(error)) {
    // ApiKeys reports any store failure as auth_unavailable; here that can only mean the store.
    const message =
      error.code === "auth_unavailable" && config
        ? unreachable(config.store.kind === "postgres" ? "PostgreSQL" : "Redis", config.store.displayUrl, error.cause).message
        : error.message;
    stderr(`portcullis: ${message}\n`);
    return 1;
  }
  stderr(`portcullis: unexpected error: ${messageOf(error)}\n`);
  return 1;
}

/** Standard input as text; a terminal is refused, as `scan` with no path would otherwise wait in silence. */
async function readProcessStdin(): Promise<string> {
  if (process.stdin.isTTY) throw usageError("scan: give paths to scan, or pipe text to it", SCAN_USAGE);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Replaces every secret in diagnostics, in case a message from below ever quotes one. */
function scrubbing(write: (text: string) => void, secrets: readonly string[]): (text: string) => void {
  return function writeScrubbed(text: string) {
    write(secrets.reduce((out, secret) => out.split(secret).join("***"), text));
  };
}

/** The version in the package's package.json, two levels up from both src/cli and dist/cli. */
function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { version?: unknown };
    return typeof manifest.version === "string" ? manifest.version : "unknown";
  } catch {
    return "unknown"; // a version is not worth a failure
  }
}
