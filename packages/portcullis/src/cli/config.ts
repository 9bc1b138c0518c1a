import { DEFAULT_PREFIX, KeyFormat, ScopePolicy } from "@portcullis/core";
import { MIN_SECRET_BYTES } from "@portcullis/core/internal";
import { failure } from "./cli-error";

/** The key prefix when neither PORTCULLIS_KEY_PREFIX nor `--prefix` is given. */
export const DEFAULT_KEY_PREFIX = "pk_live_";
/** The schema when PORTCULLIS_POSTGRES_SCHEMA is not set: the one `migrate` and the stores use by default. */
export const DEFAULT_POSTGRES_SCHEMA = "portcullis";

/** The server's Redis, from REDIS_URL. */
export interface RedisTarget {
  readonly kind: "redis";
  /** REDIS_URL as given, for ioredis only: it may hold a password. */
  readonly url: string;
  /** REDIS_URL without its password or query, safe to print. */
  readonly displayUrl: string;
  /** PORTCULLIS_REDIS_CLUSTER: REDIS_URL is one node of a Redis Cluster, which tells of the rest. */
  readonly cluster: boolean;
  /** PORTCULLIS_REDIS_PREFIX, as the server's RedisKeyStore prefix. */
  readonly prefix: string;
}

/** The server's PostgreSQL, from DATABASE_URL. */
export interface PostgresTarget {
  readonly kind: "postgres";
  /** DATABASE_URL as given, for pg only: it may hold a password. */
  readonly url: string;
  /** DATABASE_URL without its password or query, safe to print. */
  readonly displayUrl: string;
  /** PORTCULLIS_POSTGRES_SCHEMA, as the server's stores and `migrate` take it; checked by them. */
  readonly schema: string;
}

/** Where the server keeps its keys. */
export type StoreTarget = RedisTarget | PostgresTarget;

/** What the CLI needs to reach the server's keys, read once from the environment and flags. */
export interface CliConfig {
  /** PostgreSQL when DATABASE_URL is set, Redis otherwise. */
  readonly store: StoreTarget;
  readonly secret: string;
  readonly keyPrefix: string;
  /** PORTCULLIS_SCOPES as a policy: the server's known scopes, so a typo is refused here too. */
  readonly scopes: ScopePolicy;
}

/**
 * Reads and checks the configuration. Each error names the variable to fix and never echoes a
 * secret or a password.
 *
 * @throws CliError (exit 1) naming the variable.
 * @example
 * const config = readConfig(process.env, { prefix: undefined });
 */
export function readConfig(
  env: Readonly<Record<string, string | undefined>>,
  flags: { readonly prefix: string | undefined },
): CliConfig {
  // A server on PostgreSQL keeps its keys there even when it has a Redis beside it (for
  // sessions, limits and caches): with both set, the keys are in PostgreSQL.
  const store = postgresTarget(env) ?? redisTarget(env);
  if (store === undefined) {
    throw failure(
      "REDIS_URL is not set, nor DATABASE_URL: set DATABASE_URL to the PostgreSQL the server keeps its keys in, such as " +
        "postgres://user:password@localhost:5432/app, or REDIS_URL to its Redis, such as redis://localhost:6379",
    );
  }

  const secret = variable(env, "PORTCULLIS_SECRET");
  if (secret === undefined) {
    throw failure("PORTCULLIS_SECRET is not set: set it to the server's secret, or the keys made here will not verify");
  }
  if (Buffer.byteLength(secret, "utf8") < MIN_SECRET_BYTES) {
    throw failure(`PORTCULLIS_SECRET must be at least ${MIN_SECRET_BYTES} bytes: use the server's secret`);
  }

  const keyPrefix = readKeyPrefix(env, flags);

  const known = variable(env, "PORTCULLIS_SCOPES")?.split(",").map((scope) => scope.trim()).filter(Boolean);
  let scopes: ScopePolicy;
  try {
    scopes = new ScopePolicy(known === undefined ? {} : { known });
  } catch (error) {
    throw failure(`PORTCULLIS_SCOPES: ${(error as Error).message.replace(/^ScopePolicy: "known\.\d+" must be a scope: /, "a scope must be ")}`);
  }

  return { store, scopes, secret, keyPrefix };
}

/**
 * The key prefix: `--prefix`, else PORTCULLIS_KEY_PREFIX, else the default. `portcullis scan`
 * reads only this, as it needs no store.
 *
 * @throws CliError (exit 1) naming where the malformed prefix came from.
 * @example
 * readKeyPrefix({ PORTCULLIS_KEY_PREFIX: "cpx_live." }, { prefix: undefined }); // "cpx_live."
 */
export function readKeyPrefix(env: Readonly<Record<string, string | undefined>>, flags: { readonly prefix: string | undefined }): string {
  const keyPrefix = flags.prefix ?? variable(env, "PORTCULLIS_KEY_PREFIX") ?? DEFAULT_KEY_PREFIX;
  try {
    new KeyFormat({ prefix: keyPrefix });
  } catch {
    const source = flags.prefix === undefined ? "PORTCULLIS_KEY_PREFIX" : "--prefix";
    throw failure(
      `${source} must be a letter followed by up to 31 letters, digits, "_", "." or "-", such as "${DEFAULT_KEY_PREFIX}"; got ${JSON.stringify(keyPrefix)}`,
    );
  }
  return keyPrefix;
}

/**
 * The PostgreSQL to migrate: DATABASE_URL, required, and PORTCULLIS_POSTGRES_SCHEMA. Nothing else
 * is read: migrating needs neither the secret nor Redis.
 *
 * @throws CliError (exit 1) naming the variable.
 * @example
 * const target = readDatabaseConfig(process.env); // { kind: "postgres", url, displayUrl, schema }
 */
export function readDatabaseConfig(env: Readonly<Record<string, string | undefined>>): PostgresTarget {
  const target = postgresTarget(env);
  if (target === undefined) {
    throw failure("DATABASE_URL is not set: set it to the PostgreSQL the server uses, such as postgres://user:password@localhost:5432/app");
  }
  return target;
}

/** DATABASE_URL's database, or undefined when the variable is not set. */
function postgresTarget(env: Readonly<Record<string, string | undefined>>): PostgresTarget | undefined {
  const url = variable(env, "DATABASE_URL");
  if (url === undefined) return undefined;
  const parsed = parseDatabaseUrl(url);
  if (!parsed) throw failure("DATABASE_URL is not a postgres:// or postgresql:// URL (its value is not shown: it may hold a password)");
  return { kind: "postgres", url, displayUrl: displayUrl(parsed), schema: variable(env, "PORTCULLIS_POSTGRES_SCHEMA") ?? DEFAULT_POSTGRES_SCHEMA };
}

/** REDIS_URL's Redis, or undefined when the variable is not set. */
function redisTarget(env: Readonly<Record<string, string | undefined>>): RedisTarget | undefined {
  const url = variable(env, "REDIS_URL");
  if (url === undefined) return undefined;
  const parsed = parseRedisUrl(url);
  if (!parsed) throw failure("REDIS_URL is not a redis:// or rediss:// URL (its value is not shown: it may hold a password)");
  if (!/^\/?(\d{1,5})?$/.test(parsed.pathname)) {
    throw failure("REDIS_URL's path must be a database number, such as redis://localhost:6379/0");
  }
  const clusterFlag = variable(env, "PORTCULLIS_REDIS_CLUSTER");
  if (clusterFlag !== undefined && !/^(true|false|1|0)$/.test(clusterFlag)) {
    throw failure(`PORTCULLIS_REDIS_CLUSTER must be true or false; got ${JSON.stringify(clusterFlag)}`);
  }
  const cluster = clusterFlag === "true" || clusterFlag === "1";
  if (cluster && !/^\/?0?$/.test(parsed.pathname)) {
    throw failure("REDIS_URL names a database, but a Redis Cluster has only database 0");
  }
  return { kind: "redis", url, displayUrl: displayUrl(parsed), cluster, prefix: variable(env, "PORTCULLIS_REDIS_PREFIX") ?? DEFAULT_PREFIX };
}

/**
 * The secrets found in the environment, for scrubbing from anything printed: the server secret
 * and the passwords in REDIS_URL and DATABASE_URL, including one passed in the query
 * (`?password=`, and DATABASE_URL's `?sslpassword=`).
 *
 * @example
 * secretsIn({ REDIS_URL: "redis://:hunter2hunter2@host" }); // ["hunter2hunter2"]
 */
export function secretsIn(env: Readonly<Record<string, string | undefined>>): string[] {
  const secrets = [variable(env, "PORTCULLIS_SECRET")];
  const redisUrl = variable(env, "REDIS_URL");
  const databaseUrl = variable(env, "DATABASE_URL");
  for (const url of [redisUrl === undefined ? undefined : parseRedisUrl(redisUrl), databaseUrl === undefined ? undefined : parseDatabaseUrl(databaseUrl)]) {
    if (!url) continue;
    for (const password of [url.password, url.searchParams.get("password"), url.searchParams.get("sslpassword")]) {
      if (password) secrets.push(password, safeDecode(password));
    }
  }
  // Scrubbing a one- or two-letter "secret" would garble every message and hide nothing.
  return secrets.filter((secret): secret is string => secret !== undefined && secret.length >= 4);
}

/** An empty variable counts as unset, as a shell's `FOO= cmd` usually means. */
function variable(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

function parseRedisUrl(text: string): URL | undefined {
  if (!/^rediss?:\/\//i.test(text)) return undefined;
  try {
    const url = new URL(text);
    return url.hostname === "" ? undefined : url;
  } catch {
    return undefined;
  }
}

/**
 * A PostgreSQL URL as pg reads it. The host may be empty: `postgres:///app?host=/var/run/postgresql`
 * names a Unix socket in the query.
 */
function parseDatabaseUrl(text: string): URL | undefined {
  if (!/^postgres(ql)?:\/\//i.test(text)) return undefined;
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** `redis://user:***@host:port/db`, `postgres://user:***@host:port/app`: the password masked and the query (which may hold one) dropped. */
function displayUrl(url: URL): string {
  const auth = url.username === "" && url.password === "" ? "" : `${url.username}${url.password === "" ? "" : ":***"}@`;
  const port = url.port === "" ? "" : `:${url.port}`;
  const path = url.pathname === "/" ? "" : url.pathname;
  return `${url.protocol}//${auth}${url.hostname}${port}${path}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
