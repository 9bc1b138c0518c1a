import { parseArgs } from "node:util";
import { type KeyListStatus } from "@portcullis/core";
import { KEY_ID_PATTERN, KEY_LIST_STATUSES, MAX_PAGE_SIZE } from "@portcullis/core/internal";
import { usageError } from "./cli-error";
import { parseDuration } from "./duration";
import { CREATE_USAGE, KEYS_USAGE, LIST_USAGE, MAIN_USAGE, MIGRATE_USAGE, REVOKE_USAGE, ROTATE_USAGE, SCAN_USAGE } from "./usage";

/** Flags every `keys` command takes. */
export interface CommonFlags {
  readonly json: boolean;
  /** `--prefix`, which wins over PORTCULLIS_KEY_PREFIX. */
  readonly prefix: string | undefined;
}

export interface CreateCommand extends CommonFlags {
  readonly kind: "create";
  readonly owner: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly app: string | undefined;
  readonly expiresInMs: number | undefined;
}

export interface ListCommand extends CommonFlags {
  readonly kind: "list";
  readonly owner: string;
  readonly limit: number | undefined;
  readonly after: string | undefined;
  /** `--status`: which keys; the working ones unless asked. */
  readonly status: KeyListStatus;
}

export interface RevokeCommand extends CommonFlags {
  readonly kind: "revoke";
  readonly id: string;
}

export interface RotateCommand extends CommonFlags {
  readonly kind: "rotate";
  readonly id: string;
  readonly graceMs: number;
}

/** `portcullis migrate`: the schema on DATABASE_URL brought up to date. */
export interface MigrateCommand {
  readonly kind: "migrate";
  readonly json: boolean;
}

/** `portcullis scan`: keys of the given prefixes in files, directories or standard input. */
export interface ScanCommand {
  readonly kind: "scan";
  /** What to read; `-` is standard input, which is also read when no path is given. */
  readonly paths: readonly string[];
  /** `--prefix`, repeatable; undefined means PORTCULLIS_KEY_PREFIX's, or the default. */
  readonly prefixes: readonly string[] | undefined;
  readonly json: boolean;
  /** `--check`: ask the store each key's status (also set by `--revoke`). */
  readonly check: boolean;
  /** `--revoke`: revoke the keys found active. */
  readonly revoke: boolean;
  /** `--verbose`: say on stderr what was skipped, and why. */
  readonly verbose: boolean;
}

/** Help text to print as is: no configuration, no store. */
export interface HelpCommand {
  readonly kind: "help";
  readonly text: string;
}

export interface VersionCommand {
  readonly kind: "version";
}

/** A command that works on keys, and so needs the configuration and the store. */
export type KeysCommand = CreateCommand | ListCommand | RevokeCommand | RotateCommand;
/** What the command line asks for. */
export type Command = KeysCommand | ScanCommand | MigrateCommand | HelpCommand | VersionCommand;

const COMMON = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean", default: false },
  prefix: { type: "string" },
} as const;

// The shape of ApiKeys ids; anything else (a pasted key above all) is refused without echoing it.

/**
 * Reads the command line (without `node` and the script) into a command. Nothing here touches
 * the environment or the network, so `--help` always works.
 *
 * @throws CliError with exit code 2 and the usage of the command meant.
 * @example
 * parseCommandLine(["keys", "revoke", "key_4fQa"]); // { kind: "revoke", id: "key_4fQa", json: false, prefix: undefined }
 */
export function parseCommandLine(argv: readonly string[]): Command {
  const [group, action, ...rest] = argv;
  if (group === undefined) throw usageError("missing command", MAIN_USAGE);
  if (group === "--help" || group === "-h") return { kind: "help", text: MAIN_USAGE };
  if (group === "--version") return { kind: "version" };
  if (group === "migrate") return parseMigrate(argv.slice(1));
  if (group === "scan") return parseScan(argv.slice(1));
  if (group !== "keys") throw usageError(unknown("command", group), MAIN_USAGE);
  if (action === undefined) throw usageError("missing keys command: create, list, revoke or rotate", KEYS_USAGE);
  if (action === "--help" || action === "-h") return { kind: "help", text: KEYS_USAGE };
  switch (action) {
    case "create":
      return parseCreate(rest);
    case "list":
      return parseList(rest);
    case "revoke":
      return parseRevoke(rest);
    case "rotate":
      return parseRotate(rest);
    default:
      throw usageError(unknown("command", `keys ${action}`), KEYS_USAGE);
  }
}

function parseMigrate(args: string[]): MigrateCommand | HelpCommand {
  const { values, positionals } = withUsage(MIGRATE_USAGE, () =>
    parseArgs({ args, allowPositionals: true, options: { help: COMMON.help, json: COMMON.json } }),
  );
  if (values.help) return { kind: "help", text: MIGRATE_USAGE };
  noPositionals("migrate", positionals, MIGRATE_USAGE);
  return { kind: "migrate", json: values.json === true };
}

function parseScan(args: string[]): ScanCommand | HelpCommand {
  const { values, positionals } = withUsage(SCAN_USAGE, () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...COMMON,
        prefix: { type: "string", multiple: true },
        check: { type: "boolean", default: false },
        revoke: { type: "boolean", default: false },
        verbose: { type: "boolean", short: "v", default: false },
      },
    }),
  );
  if (values.help) return { kind: "help", text: SCAN_USAGE };
  return {
    kind: "scan",
    paths: positionals.length === 0 ? ["-"] : positionals,
    prefixes: values.prefix,
    json: values.json === true,
    check: values.check === true || values.revoke === true,
    revoke: values.revoke === true,
    verbose: values.verbose === true,
  };
}

function parseCreate(args: string[]): CreateCommand | HelpCommand {
  const { values, positionals } = withUsage(CREATE_USAGE, () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...COMMON,
        owner: { type: "string" },
        name: { type: "string" },
        scopes: { type: "string", multiple: true },
        "expires-in": { type: "string" },
        app: { type: "string" },
      },
    }),
  );
  if (values.help) return { kind: "help", text: CREATE_USAGE };
  noPositionals("keys create", positionals, CREATE_USAGE);
  const owner = required("keys create", "owner", values.owner, CREATE_USAGE);
  const name = required("keys create", "name", values.name, CREATE_USAGE);
  // Each piece goes to ApiKeys as typed, so "read,,write" is refused there by name, not dropped here.
  const scopes = required("keys create", "scopes", values.scopes, CREATE_USAGE).flatMap((list) => list.split(","));
  const expiresIn = values["expires-in"];
  const expiresInMs = expiresIn === undefined ? undefined : duration("--expires-in", expiresIn, CREATE_USAGE);
  if (expiresInMs === 0) throw usageError("--expires-in: must be longer than 0s", CREATE_USAGE);
  return { kind: "create", ...common(values), owner, name, scopes, app: values.app, expiresInMs };
}

function parseList(args: string[]): ListCommand | HelpCommand {
  const { values, positionals } = withUsage(LIST_USAGE, () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: { ...COMMON, owner: { type: "string" }, limit: { type: "string" }, after: { type: "string" }, status: { type: "string" } },
    }),
  );
  if (values.help) return { kind: "help", text: LIST_USAGE };
  noPositionals("keys list", positionals, LIST_USAGE);
  const owner = required("keys list", "owner", values.owner, LIST_USAGE);
  let limit: number | undefined;
  if (values.limit !== undefined) {
    limit = /^\d{1,3}$/.test(values.limit) ? Number(values.limit) : 0;
    if (limit < 1 || limit > MAX_PAGE_SIZE) {
      throw usageError(`--limit: must be a whole number from 1 to ${MAX_PAGE_SIZE}`, LIST_USAGE);
    }
  }
  const status = (values.status ?? "active") as KeyListStatus;
  if (!KEY_LIST_STATUSES.includes(status)) {
    throw usageError(`--status: must be one of ${KEY_LIST_STATUSES.join(", ")}`, LIST_USAGE);
  }
  return { kind: "list", ...common(values), owner, limit, after: values.after, status };
}

function parseRevoke(args: string[]): RevokeCommand | HelpCommand {
  const { values, positionals } = withUsage(REVOKE_USAGE, () =>
    parseArgs({ args, allowPositionals: true, options: COMMON }),
  );
  if (values.help) return { kind: "help", text: REVOKE_USAGE };
  return { kind: "revoke", ...common(values), id: keyId("keys revoke", positionals, REVOKE_USAGE) };
}

function parseRotate(args: string[]): RotateCommand | HelpCommand {
  const { values, positionals } = withUsage(ROTATE_USAGE, () =>
    parseArgs({ args, allowPositionals: true, options: { ...COMMON, grace: { type: "string" } } }),
  );
  if (values.help) return { kind: "help", text: ROTATE_USAGE };
  const id = keyId("keys rotate", positionals, ROTATE_USAGE);
  const graceMs = values.grace === undefined ? 0 : duration("--grace", values.grace, ROTATE_USAGE);
  return { kind: "rotate", ...common(values), id, graceMs };
}

function common(values: { json?: boolean; prefix?: string }): CommonFlags {
  return { json: values.json === true, prefix: values.prefix };
}

/** Runs `util.parseArgs`, turning its errors into one short line and the command's usage. */
function withUsage<T>(usage: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const { code, message } = error as { code?: unknown; message: string };
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const option = /'([^']*)'/.exec(message)?.[1] ?? "";
      throw usageError(unknown("option", option), usage);
    }
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_")) {
      // Node's first sentence names the option and the problem; the rest is advice for its own API.
      throw usageError(message.split(". ")[0]!, usage);
    }
    throw error;
  }
}

function unknown(what: "command" | "option", name: string): string {
  return `unknown ${what} "${shorten(name)}"`;
}

/** What the user typed, shortened, so a key pasted in the wrong place is not printed back whole. */
function shorten(text: string): string {
  return text.length > 24 ? `${text.slice(0, 20)}…` : text;
}

function required<T>(command: string, flag: string, value: T | undefined, usage: string): T {
  if (value === undefined) throw usageError(`${command}: --${flag} is required`, usage);
  return value;
}

function noPositionals(command: string, positionals: string[], usage: string): void {
  if (positionals.length > 0) throw usageError(`${command}: unexpected argument "${shorten(positionals[0]!)}"`, usage);
}

function keyId(command: string, positionals: string[], usage: string): string {
  if (positionals.length === 0) throw usageError(`${command}: the key id is required`, usage);
  if (positionals.length > 1) throw usageError(`${command}: one key id at a time`, usage);
  const id = positionals[0]!;
  if (!KEY_ID_PATTERN.test(id)) {
    throw usageError(`${command}: the argument is not a key id (ids look like key_4fQa9…; "portcullis keys list" shows them)`, usage);
  }
  return id;
}

function duration(flag: string, text: string, usage: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw usageError(`${flag}: ${(error as Error).message}`, usage);
  }
}
