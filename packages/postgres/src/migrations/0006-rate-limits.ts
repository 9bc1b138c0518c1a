import type { Migration } from "./migration";

/**
 * The rate limiters' counters, in the layout rate-limiter-flexible's `RateLimiterPostgres` reads
 * and writes, made here so that no DDL runs at request time and `migrate` owns the schema. Its
 * INSERT names no columns, so their order is its: key, points, expire. `key` is `text`, not its
 * `varchar(255)`: a login counter's id holds a username of up to 256 characters and an IP. `expire`
 * is milliseconds since the epoch, as it writes it; the index lets the pruning job delete small
 * batches of expired counters.
 */
export const rateLimitsMigration: Migration = {
  version: 6,
  name: "rate limits",
  sql: `
CREATE TABLE rate_limits (
  key    text PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
COMMENT ON TABLE rate_limits IS 'portcullis rate-limit counters (rate-limiter-flexible''s RateLimiterPostgres): <limiter name>:<counter id>, points, expiry in ms';
CREATE INDEX rate_limits_by_expire ON rate_limits (expire);
`,
};
