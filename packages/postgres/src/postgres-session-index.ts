import type { SessionIndex } from "@portcullis/core";
import { ExpiredRows } from "./expired-rows";
import type { PostgresTables } from "./postgres-tables";
import { msParam } from "./sql-time";
import type { TimedPool } from "./timed-pool";

/**
 * Each user's session ids in `<schema>.user_sessions`, one row per session with when it may be
 * forgotten, as the Redis index's sorted set holds them. Listing deletes the user's entries whose
 * time has come and answers the others oldest first, in one statement; entries of users who never
 * list again are swept in batches, at most once a minute, as entries are added. Made by
 * `postgresSessionStorage`; `sessionAuth` bounds each call by its `timeoutMs`, and so does the pool.
 */
export class PostgresSessionIndex implements SessionIndex {
  readonly #expired: ExpiredRows;

  constructor(
    private readonly db: TimedPool,
    private readonly tables: PostgresTables,
    /** The app's clock: entries' times are in it, and so are the sweeps'. */
    private readonly now: () => number,
  ) {
    this.#expired = new ExpiredRows(db, tables.userSessions, `forget_at <= ${msParam(1)}`);
  }

  async add(userId: string, sessionId: string, forgetAt: number): Promise<void> {
    this.#expired.due(this.now());
    // Added again, an entry moves to its new time.
    await this.db.transaction((run) =>
      run({
        text: `INSERT INTO ${this.tables.userSessions} (user_id, session_id, forget_at) VALUES ($1, $2, ${msParam(3)})
ON CONFLICT (user_id, session_id) DO UPDATE SET forget_at = excluded.forget_at`,
        values: [userId, sessionId, forgetAt],
      }),
    );
  }

  async remove(userId: string, sessionId: string): Promise<void> {
    await this.db.transaction((run) =>
      run({ text: `DELETE FROM ${this.tables.userSessions} WHERE user_id = $1 AND session_id = $2`, values: [userId, sessionId] }),
    );
  }

  async list(userId: string, now: number): Promise<string[]> {
    // The SELECT sees the rows as they were before the DELETE beside it: its own condition leaves
    // out the same entries the DELETE removes.
    const { rows } = await this.db.transaction((run) =>
      run<{ session_id: string }>({
        text: `WITH gone AS (DELETE FROM ${this.tables.userSessions} WHERE user_id = $1 AND forget_at <= ${msParam(2)})
SELECT session_id FROM ${this.tables.userSessions} WHERE user_id = $1 AND forget_at > ${msParam(2)} ORDER BY forget_at, session_id`,
        values: [userId, now],
      }),
    );
    return rows.map((row) => row.session_id);
  }
}
