import type { Migration } from "./migration";

/**
 * The access log. One row per event; an owner's log, the overview of every owner and the log of
 * no owner are three partial indexes over it, each ordered like the event ids
 * (`recorded_at`, `seq`), so each listing and each pruning batch walks its own index and a flood
 * of events of no owner never lengthens an owner's scan. `seq` orders events recorded in one
 * millisecond; it is the primary key, so the deletes of the pruning job replicate.
 */
export const auditEventsMigration: Migration = {
  version: 4,
  name: "audit events",
  sql: `
CREATE TABLE audit_events (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recorded_at timestamptz NOT NULL,
  at          timestamptz NOT NULL,
  action      text NOT NULL,
  outcome     text NOT NULL,
  owner       text,
  code        text,
  key_id      text,
  user_id     text,
  target_id   text,
  ip          text,
  user_agent  text,
  method      text,
  route       text
);
COMMENT ON TABLE audit_events IS 'portcullis access log: ids, never a key, a password or a token; pruned by age and per log by count';

CREATE INDEX audit_events_by_owner ON audit_events (owner, recorded_at DESC, seq DESC) WHERE owner IS NOT NULL;
CREATE INDEX audit_events_overview ON audit_events (recorded_at DESC, seq DESC) WHERE owner IS NOT NULL;
CREATE INDEX audit_events_unowned ON audit_events (recorded_at DESC, seq DESC) WHERE owner IS NULL;
`,
};
