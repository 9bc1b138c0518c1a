import type { Migration } from "./migration";

/**
 * Sessions and each user's index of them. `sessions` has connect-pg-simple's layout (`sid`,
 * `sess` as `json`, `expire`), with `expire` a `timestamptz` (the store writes and compares it
 * in milliseconds of the app's clock) rather than its `timestamp`, which would follow the
 * connection's time zone. `user_sessions` lists a user's session ids with when each may be
 * forgotten, as the Redis index's sorted set does. Both have an index on their expiry: the pruning
 * job deletes small batches read off it.
 */
export const sessionsMigration: Migration = {
  version: 5,
  name: "sessions",
  sql: `
CREATE TABLE sessions (
  expire timestamptz NOT NULL,
  sid    text PRIMARY KEY,
  sess   json NOT NULL
);
COMMENT ON TABLE sessions IS 'portcullis sessions (connect-pg-simple''s layout): rows past expire are refused, then deleted in batches';
CREATE INDEX sessions_by_expire ON sessions (expire);

CREATE TABLE user_sessions (
  forget_at  timestamptz NOT NULL,
  user_id    text NOT NULL,
  session_id text NOT NULL,
  PRIMARY KEY (user_id, session_id)
);
COMMENT ON TABLE user_sessions IS 'portcullis session ids per user, to list and revoke them; rows past forget_at are deleted';
CREATE INDEX user_sessions_by_forget_at ON user_sessions (forget_at);
`,
};
