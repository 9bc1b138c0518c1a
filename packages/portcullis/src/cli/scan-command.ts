import { KeyFormat, keyStatus, type ApiKeys, type KeyStatus } from "@portcullis/core";
import { KeyHasher, keyIdOf } from "@portcullis/core/internal";
import type { CliIo } from "./commands";
import { readKeyPrefix, type CliConfig } from "./config";
import { formatJson } from "./format";
import { findKeys, type KeyFinding } from "./key-finder";
import { openKeyService } from "./key-service";
import type { ScanCommand } from "./parse-args";
import { scanSources } from "./scan-sources";

/** What `scan` reads and writes through: the CLI's output, and standard input as one text. */
export interface ScanIo extends CliIo {
  readonly readStdin: () => Promise<string>;
}

/** A key found at one place; `path` is as given or walked, `<stdin>` for standard input. */
interface Located extends KeyFinding {
  readonly path: string;
}

/** What the store says of a key found, with --check. */
interface Checked {
  readonly status: KeyStatus | "unknown";
  readonly id?: string;
  /** This run revoked it (--revoke). */
  readonly revoked: boolean;
}

/**
 * `portcullis scan`: finds keys in files, directories or stdin, prints each masked, and with
 * `--check` / `--revoke` asks the store about each and revokes the active ones. `config` (the
 * store's) is needed with `--check` only. Resolves to the exit status: 0 nothing found, 1 a key
 * found or a file unread.
 *
 * @throws CliError for the configuration (exit 1), PortcullisError from the store.
 * @example
 * const code = await runScanCommand(command, process.env, undefined, { stdout, stderr, readStdin });
 */
export async function runScanCommand(
  command: ScanCommand,
  env: Readonly<Record<string, string | undefined>>,
  config: CliConfig | undefined,
  io: ScanIo,
): Promise<number> {
  if (command.check && !config) throw new TypeError("runScanCommand: --check needs the store's configuration (readConfig)");
  const formats = (command.prefixes ?? [undefined]).map((prefix) => new KeyFormat({ prefix: readKeyPrefix(env, { prefix }) }));

  const found: Located[] = [];
  let unread = 0;
  for await (const source of scanSources(command.paths, io.readStdin)) {
    if (source.kind === "text") found.push(...findKeys(source.text, formats).map((finding) => ({ ...finding, path: source.path })));
    else if (source.kind === "unreadable") {
      unread += 1;
      io.stderr(`portcullis: cannot read ${source.path}: ${source.reason}\n`);
    } else if (command.verbose) io.stderr(`portcullis: skipped ${source.path}: ${source.reason}\n`);
  }

  const checked = config && found.length > 0 ? await checkAll(config, found, command.revoke) : undefined;
  if (command.json) io.stdout(formatJson(found.map((finding) => findingJson(finding, checked?.get(finding.key), command.revoke))));
  else io.stdout(found.map((finding) => findingLine(finding, checked?.get(finding.key))).join(""));
  if (found.length > 0 && !command.json) io.stderr(summary(found, command.check));
  return found.length > 0 || unread > 0 ? 1 : 0;
}

/** Each distinct key's status in the store, revoking the active ones when asked; one lookup per key. */
async function checkAll(config: CliConfig, found: readonly Located[], revoke: boolean): Promise<Map<string, Checked>> {
  const hasher = new KeyHasher(config.secret);
  const service = await openKeyService(config);
  try {
    const results = new Map<string, Checked>();
    for (const { key } of found) {
      if (!results.has(key)) results.set(key, await check(service.keys, keyIdOf(hasher.digest(key)), revoke));
    }
    return results;
  } finally {
    await service.close();
  }
}

/**
 * By id, not `verify`: a verification counts as a use, and a scan must not make a leaked key
 * look recently used (nor hide when its finder last used it).
 */
async function check(keys: ApiKeys, id: string, revoke: boolean): Promise<Checked> {
  const record = await keys.get(id);
  if (!record) return { status: "unknown", revoked: false };
  const status = keyStatus(record, keys.now());
  if (!revoke || status !== "active") return { status, id, revoked: false };
  await keys.revoke(id);
  return { status, id, revoked: true };
}

function findingLine({ path, line, column, key, format }: Located, checked: Checked | undefined): string {
  const status = checked === undefined ? "" : `  ${checked.status}${checked.revoked ? ", revoked now" : ""}`;
  return `${path}:${line}:${column}  ${format.preview(key)}${status}\n`;
}

function findingJson({ path, line, column, key, format }: Located, checked: Checked | undefined, revoke: boolean) {
  return {
    path,
    line,
    column,
    prefix: format.prefix,
    preview: format.preview(key),
    ...(checked === undefined ? {} : { status: checked.status, ...(checked.id === undefined ? {} : { key_id: checked.id }) }),
    ...(revoke && checked !== undefined ? { revoked: checked.revoked } : {}),
  };
}

function summary(found: readonly Located[], checked: boolean): string {
  const keys = new Set(found.map(({ key }) => key)).size;
  const files = new Set(found.map(({ path }) => path)).size;
  const what = `${keys} key${keys === 1 ? "" : "s"} in ${files} file${files === 1 ? "" : "s"}`;
  const next = checked ? "remove them from the files" : "remove them, and revoke any still active (--check tells which)";
  return `portcullis: found ${what}: ${next}\n`;
}
