import { DEFAULT_PREFIX } from "@portcullis/core";
import { DEFAULT_KEY_PREFIX, DEFAULT_POSTGRES_SCHEMA } from "./config";

const ENVIRONMENT = `Environment:
  DATABASE_URL             The PostgreSQL the server keeps its keys in:
                           postgres://[user:password@]host[:port]/database. When it is set the
                           keys are there, even if REDIS_URL is set too. Required by migrate.
  PORTCULLIS_POSTGRES_SCHEMA
                           The schema of the portcullis tables, as the server's stores take it.
                           Default "${DEFAULT_POSTGRES_SCHEMA}".
  REDIS_URL                The Redis the server keeps its keys in, when DATABASE_URL is not set:
                           redis://[user:password@]host[:port][/db] or rediss://… for TLS.
  PORTCULLIS_SECRET        The server's key-hashing secret, at least 32 bytes. Required by the
                           keys commands: keys made with another secret do not verify on the server.
  PORTCULLIS_KEY_PREFIX    Starts every new key. Default "${DEFAULT_KEY_PREFIX}"; --prefix overrides it.
  PORTCULLIS_REDIS_PREFIX  Starts every Redis key, as the server's RedisKeyStore prefix.
                           Default "${DEFAULT_PREFIX}".
  PORTCULLIS_REDIS_CLUSTER true if REDIS_URL is a node of a Redis Cluster (any one master).
  PORTCULLIS_SCOPES        The server's known scopes, comma-separated (read,write,admin), so a
                           misspelt scope is refused here as the server would. Default: any.
  A variable set to the empty string counts as unset.`;

const EXIT_STATUS = `Exit status: 0 done; 1 failed (refused input, unknown key, configuration, Redis or PostgreSQL
unreachable, a failed migration); 2 wrong command line (unknown command or option, missing or
malformed value).`;

const COMMON_OPTIONS = `  --prefix <prefix>       The key prefix, instead of PORTCULLIS_KEY_PREFIX
  --json                  Print JSON on stdout, for scripts
  -h, --help              Show this help`;

/** `portcullis --help`. */
export const MAIN_USAGE = `Usage: portcullis <command> [options]

Manage the API keys of a portcullis installation stored in PostgreSQL or Redis, and migrate its
PostgreSQL schema.

Commands:
  keys create   Create a key and print it, once
  keys list     List an owner's keys, masked
  keys revoke   Revoke a key
  keys rotate   Replace a key with a new one; the old one works for a grace period
  scan          Find keys in files, directories or standard input (offline)
  migrate       Create or update the portcullis tables on DATABASE_URL

Options:
  -h, --help    Show this help
  --version     Show the version

Run "portcullis keys <command> --help", "portcullis scan --help" or "portcullis migrate --help"
for the options of a command.

${ENVIRONMENT}

${EXIT_STATUS}
`;

/** `portcullis keys --help`. */
export const KEYS_USAGE = `Usage: portcullis keys <create|list|revoke|rotate> [options]

  portcullis keys create --owner <owner> --name <name> --scopes <a,b> [--expires-in <duration>] [--app <app>]
  portcullis keys list --owner <owner> [--status <status>] [--limit <n>] [--after <cursor>]
  portcullis keys revoke <key-id>
  portcullis keys rotate <key-id> [--grace <duration>]

Every command takes --json, --prefix and --help. Durations are a whole number and a
unit: 3600s, 90m, 12h, 30d.

${ENVIRONMENT}

${EXIT_STATUS}
`;

/** `portcullis keys create --help`. */
export const CREATE_USAGE = `Usage: portcullis keys create --owner <owner> --name <name> --scopes <a,b> [options]

Creates a key and prints it. The key is shown this once: only a keyed hash is stored.

Options:
  --owner <owner>         Who the key belongs to (a user or account id). Required.
  --name <name>           What the key is for, such as "CI deploy". Required.
  --scopes <a,b>          The scopes it grants, comma-separated; may be repeated. Required.
  --expires-in <duration> When it stops working: 3600s, 90m, 12h, 30d. Default: never.
  --app <app>             The one app (tenant, project) the key may be used on.
${COMMON_OPTIONS}

JSON: {"key", "key_id", "name", "owner", "scopes", "preview", "created_at", "expires_at", …}
`;

/** `portcullis keys list --help`. */
export const LIST_USAGE = `Usage: portcullis keys list --owner <owner> [options]

Lists an owner's keys, newest first, masked: the full keys are never stored.

Options:
  --owner <owner>         Whose keys. Required.
  --status <status>       Which keys: active (those that work), expired, revoked or all.
                          Default active.
  --limit <n>             Keys per page, 1 to 100. Default 20.
  --after <cursor>        The next page: the cursor the previous page printed.
${COMMON_OPTIONS}

JSON: {"keys": [{"key_id", "name", "scopes", "status", …}], "next_cursor": <cursor> or null}
`;

/** `portcullis keys revoke --help`. */
export const REVOKE_USAGE = `Usage: portcullis keys revoke <key-id> [options]

Revokes a key, and the keys made with it: the server refuses them from the next request on.
Revoking a key already revoked revokes the key that took its place (one made under it that
revoked it, as Plexe's rotation script does), if that one still works; otherwise it fails
(exit 1) and changes nothing.

Options:
${COMMON_OPTIONS}
`;

/** `portcullis keys rotate --help`. */
export const ROTATE_USAGE = `Usage: portcullis keys rotate <key-id> [options]

Replaces a key with a new one with the same name, scopes and app, and prints the new key
once. The old key keeps working for the grace period, then is refused as expired.

Options:
  --grace <duration>      How long the old key keeps working: 3600s, 90m, 12h, 30d.
                          Default 0s: it stops now.
${COMMON_OPTIONS}

JSON: {"key", "key_id", …, "previous": {"key_id", "expires_at", …}}
`;

/** `portcullis scan --help`. */
export const SCAN_USAGE = `Usage: portcullis scan [options] [paths…]

Finds keys of the key prefix in files, directories (walked, without .git and node_modules, and
following no symbolic link) or standard input (no path, or -). A match counts only if its checksum
is valid, so look-alikes are not reported. Each key is printed masked, as path:line:column and the
prefix with the first and last 4 characters: enough to tell which key it is, far too little to use.
Offline: no store, no secret, no network, unless --check or --revoke asks for them.
Files over 5 MB and binary files are skipped.

Options:
  --prefix <prefix>       A key prefix to look for, instead of PORTCULLIS_KEY_PREFIX; may be repeated
  --check                 Ask the store whether each key found is active, expired, revoked or unknown
                          (needs the environment the keys commands need)
  --revoke                Revoke the keys found active, as "keys revoke" does; implies --check
  -v, --verbose           Say on stderr what was skipped, and why
  --json                  Print a JSON array of findings on stdout, for scripts
  -h, --help              Show this help

Pre-commit hook (.git/hooks/pre-commit):
  git diff --cached --name-only --diff-filter=ACMR -z | xargs -0 npx portcullis scan

JSON: [{"path", "line", "column", "prefix", "preview", "status" (with --check), "key_id" (known keys),
"revoked" (with --revoke: true if this run revoked it)}]

Exit status: 0 no key found; 1 a key found, a file that could not be read, or a failed --check or
--revoke; 2 wrong command line.
`;

/** `portcullis migrate --help`. */
export const MIGRATE_USAGE = `Usage: portcullis migrate [options]

Creates the portcullis tables in the schema on DATABASE_URL, or brings them up to this version
of portcullis, and prints each migration it applied. Forward only: each migration runs once, in
a transaction of its own. Safe to run while servers start and migrate too: they take turns.
Run it as a release step before the new version serves, or let each server migrate as it starts.

Options:
  --json                  Print JSON on stdout, for scripts
  -h, --help              Show this help

Environment:
  DATABASE_URL            The PostgreSQL to migrate: postgres://[user:password@]host[:port]/database.
                          Required. The role needs to create tables in the schema.
  PORTCULLIS_POSTGRES_SCHEMA
                          The schema, created if missing. Default "${DEFAULT_POSTGRES_SCHEMA}".

JSON: {"schema", "applied": [{"version", "name"}]}

${EXIT_STATUS}
`;
