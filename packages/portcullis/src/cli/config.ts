import { DEFAULT_PREFIX, KeyFormat, ScopePolicy } from "@portcullis/core";
import { MIN_SECRET_BYTES } from "@portcullis/core/internal";
import { failure } from "./cli-error";

/** The key prefix when neither PORTCULLIS_KEY_PREFIX nor `--prefix` is given. */
export const DEFAULT_KEY_PREFIX = "pk_live_";

/** What the CLI needs to reach the server's keys, read once from the environment and flags. */
export interface CliConfig {
  /** REDIS_URL as given, for ioredis only: it may hold a password. */
  readonly redisUrl: string;
  /** REDIS_URL without its password or query, safe to print. */
  readonly redisDisplayUrl: string;
  /** PORTCULLIS_REDIS_CLUSTER: REDIS_URL is one node of a Redis Cluster, which tells of the rest. */
  readonly cluster: boolean;
  readonly secret: string;
  readonly keyPrefix: string;
  readonly redisPrefix: string;
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
  const redisUrl = variable(env, "REDIS_URL");
  if (redisUrl === undefined) {
    throw failure("REDIS_URL is not set: set it to the Redis the server uses, such as redis://localhost:6379");
  }
  const parsed = parseRedisUrl(redisUrl);
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

  const secret = variable(env, "PORTCULLIS_SECRET");
  if (secret === undefined) {
    throw failure("PORTCULLIS_SECRET is not set: set it to the server's secret, or the keys made here will not verify");
  }
  if (Buffer.byteLength(secret, "utf8") < MIN_SECRET_BYTES) {
    throw failure(`PORTCULLIS_SECRET must be at least ${MIN_SECRET_BYTES} bytes: use the server's secret`);
  }

  const keyPrefix = flags.prefix ?? variable(env, "PORTCULLIS_KEY_PREFIX") ?? DEFAULT_KEY_PREFIX;
  try {
    new KeyFormat({ prefix: keyPrefix });
  } catch {
    const source = flags.prefix === undefined ? "PORTCULLIS_KEY_PREFIX" : "--prefix";
    throw failure(
      `${source} must be a letter followed by up to 31 letters, digits, "_", "." or "-", such as "${DEFAULT_KEY_PREFIX}"; got ${JSON.stringify(keyPrefix)}`,
    );
  }

  const known = variable(env, "PORTCULLIS_SCOPES")?.split(",").map((scope) => scope.trim()).filter(Boolean);
  let scopes: ScopePolicy;
  try {
    scopes = new ScopePolicy(known === undefined ? {} : { known });
  } catch (error) {
    throw failure(`PORTCULLIS_SCOPES: ${(error as Error).message.replace(/^ScopePolicy: "known\.\d+" must be a scope: /, "a scope must be ")}`);
  }

  return {
    redisUrl,
    redisDisplayUrl: displayRedisUrl(parsed),
    cluster,
    scopes,
    secret,
    keyPrefix,
    redisPrefix: variable(env, "PORTCULLIS_REDIS_PREFIX") ?? DEFAULT_PREFIX,
  };
}

/**
 * The secrets found in the environment, for scrubbing from anything printed: the server secret
 * and REDIS_URL's password, including one passed as `?password=`.
 *
 * @example
 * secretsIn({ REDIS_URL: "redis://:hunter2hunter2@host" }); // ["hunter2hunter2"]
 */
export function secretsIn(env: Readonly<Record<string, string | undefined>>): string[] {
  const secrets = [variable(env, "PORTCULLIS_SECRET")];
  const redisUrl = variable(env, "REDIS_URL");
  const url = redisUrl === undefined ? undefined : parseRedisUrl(redisUrl);
  if (url) {
    secrets.push(url.password, safeDecode(url.password), url.searchParams.get("password") ?? undefined);
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

/** `redis://user:***@host:port/db`: the password masked and the query (which may hold one) dropped. */
function displayRedisUrl(url: URL): string {
  const auth = url.username === "" && url.password === "" ? "" : `${url.username}${url.password === "" ? "" : ":***"}@`;
  const port = url.port === "" ? "" : `:${url.port}`;
  const db = url.pathname === "/" ? "" : url.pathname;
  return `${url.protocol}//${auth}${url.hostname}${port}${db}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
