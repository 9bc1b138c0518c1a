import { PortcullisError, type ApiKeys } from "@portcullis/core";
import type { CreateCommand, KeysCommand, ListCommand, RevokeCommand, RotateCommand } from "./parse-args";
import { formatCreated, formatJson, formatKeyList, formatRevoked, formatRotated, keyJson } from "./format";

/** Where a command writes; stdout gets results, stderr diagnostics. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/**
 * Runs one keys command against the key service and prints its result.
 *
 * @throws PortcullisError from `ApiKeys` (`invalid_request`, `conflict`, `not_found`, `auth_unavailable`).
 * @example
 * await runKeysCommand(keys, { kind: "revoke", id: "key_4fQa", json: false, prefix: undefined }, io);
 */
export async function runKeysCommand(keys: ApiKeys, command: KeysCommand, io: CliIo): Promise<void> {
  switch (command.kind) {
    case "create":
      return createKey(keys, command, io);
    case "list":
      return listKeys(keys, command, io);
    case "revoke":
      return revokeKey(keys, command, io);
    case "rotate":
      return rotateKey(keys, command, io);
  }
}

/** `keys create`: the full key is printed here and nowhere else, ever. */
async function createKey(keys: ApiKeys, command: CreateCommand, io: CliIo): Promise<void> {
  const { owner, name, scopes, app, expiresInMs } = command;
  const { key, record } = await keys.create({
    owner,
    name,
    scopes,
    ...(app === undefined ? {} : { app }),
    ...(expiresInMs === undefined ? {} : { expiresAt: keys.now() + expiresInMs }),
  });
  io.stdout(command.json ? formatJson({ key, ...keyJson(record, keys.now()) }) : formatCreated(key, record));
}

async function listKeys(keys: ApiKeys, command: ListCommand, io: CliIo): Promise<void> {
  const { limit, after, status } = command;
  const page = await keys.list(command.owner, {
    status,
    ...(limit === undefined ? {} : { limit }),
    ...(after === undefined ? {} : { after }),
  });
  const now = keys.now();
  io.stdout(
    command.json
      ? formatJson({ keys: page.records.map((record) => keyJson(record, now)), next_cursor: page.next ?? null })
      : formatKeyList(page.records, page.next, now),
  );
}

async function revokeKey(keys: ApiKeys, command: RevokeCommand, io: CliIo): Promise<void> {
  const record = await keys.revoke(command.id);
  if (!record) throw notFound(command.id);
  io.stdout(command.json ? formatJson(keyJson(record, keys.now())) : formatRevoked(record, command.id));
}

/** `keys rotate`: the new key is printed once, with when the old one stops working. */
async function rotateKey(keys: ApiKeys, command: RotateCommand, io: CliIo): Promise<void> {
  const rotated = await keys.rotate(command.id, { gracePeriodMs: command.graceMs });
  if (!rotated) throw notFound(command.id);
  const now = keys.now();
  io.stdout(
    command.json
      ? formatJson({ key: rotated.key, ...keyJson(rotated.record, now), previous: keyJson(rotated.previous, now) })
      : formatRotated(rotated, now),
  );
}

function notFound(id: string): PortcullisError {
  return new PortcullisError("not_found", `No key has the id ${id}.`);
}
