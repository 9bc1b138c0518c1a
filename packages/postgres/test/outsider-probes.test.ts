// Probes of the PostgreSQL backend from outside (the i-attack review, 2026-12-07): what held, and
// the two findings it made, each fixed and kept here as the behaviour that must hold.
import { randomBytes } from "node:crypto";
import express from "express";
import request from "supertest";
import { keyIdOf } from "@portcullis/core/internal";
import { loginRateLimit } from "@portcullis/login-rate-limit";
import type { Logger } from "@portcullis/core";
import { migrate, PostgresAuditSink, PostgresKeyStore, PostgresLimiterStore, PostgresUserStore, watchPostgresPool } from "@portcullis/postgres";
import { authRouter, bcryptPasswords, sessionAuth } from "@portcullis/session-auth";
import { eventually, sampleAuditEvent, sampleRecord, usePostgres } from "@portcullis/testing";

const pg = usePostgres();

/** A digest with the same id as `digest` (its first 16 bytes) and a different tail: a near miss. */
function nearMiss(digest: string): string {
  const bytes = Buffer.from(digest, "base64url");
  bytes[31] = bytes[31]! ^ 1;
  return bytes.toString("base64url");
}

/** The same id from other bytes: each of the id's bytes counts modulo 62, so +62 spells it again. */
function sameIdOtherBytes(digest: string): string {
  const bytes = Buffer.from(digest, "base64url");
  bytes[0] = bytes[0]! < 62 ? bytes[0]! + 62 : bytes[0]! - 62;
  return bytes.toString("base64url");
}

test("batched lookups: each of 600 concurrent callers gets its own record or nothing, near misses and duplicates included", async () => {
  const pool = pg().pool();
  await migrate(pool);
  const store = new PostgresKeyStore(pool);
  try {
    const records = Array.from({ length: 300 }, (_, i) => sampleRecord({ owner: `owner-${i % 7}`, name: `k${i}` }));
    for (const record of records) await store.insert(record);
    const asks: { digest: string; expect: string | undefined }[] = [];
    for (const record of records) {
      asks.push({ digest: record.digest, expect: record.id }, { digest: record.digest, expect: record.id });
      asks.push({ digest: nearMiss(record.digest), expect: undefined });
      const other = sameIdOtherBytes(record.digest);
      if (keyIdOf(other) === record.id) asks.push({ digest: other, expect: undefined });
    }
    asks.push({ digest: randomBytes(32).toString("base64url"), expect: undefined });
    asks.sort(() => Math.random() - 0.5);
    const found = await Promise.all(asks.map((ask) => store.findByDigest(ask.digest)));
    found.forEach((record, i) => {
      expect(record?.id).toBe(asks[i]!.expect);
      if (record) expect(record.digest).toBe(asks[i]!.digest);
    });
    // A NUL id in the same turn as good lookups fails nothing: it never reaches the batch.
    const [nul, good] = await Promise.all([store.findById("key_\u0000"), store.findById(records[0]!.id)]);
    expect(nul).toBeUndefined();
    expect(good?.id).toBe(records[0]!.id);
  } finally {
    await store.close();
    await pool.end();
  }
});

test("access-log cursors: another owner's cursor and altered cursors list only the reader's own events, never an error", async () => {
  const pool = pg().pool();
  await migrate(pool);
  const sink = new PostgresAuditSink(pool);
  try {
    for (let i = 0; i < 20; i++) sink.record(sampleAuditEvent({ owner: i % 2 === 0 ? "alice" : "bob", targetId: `t${i}` }));
    await sink.flush();
    const bob = await sink.list({ owner: "bob", limit: 3 });
    const cursor = bob.next!;
    const [time, sealed] = [cursor.slice(0, cursor.indexOf("-")), cursor.slice(cursor.indexOf("-") + 1)];
    for (const before of [cursor, `9999999999999999-${sealed}`, `0-${sealed}`, `${time}-${"A".repeat(22)}`, `${time}-${sealed.slice(0, 21)}A`, `${time}--${sealed}`]) {
      const page = await sink.list({ owner: "alice", limit: 100, before });
      expect(page.events.every((event) => event.owner === "alice")).toBe(true);
    }
    // The time before the sealed part is not sealed: moved, it pages alice's log from elsewhere, still alice's only.
    expect((await sink.list({ owner: "alice", limit: 100, before: `9999999999999999-${sealed}` })).events.length).toBeGreaterThan(0);
  } finally {
    await sink.close();
    await pool.end();
  }
});

test("a lone surrogate in the email counts on the counter of the address spelt with U+FFFD, which is what PostgreSQL stores", async () => {
  const pool = pg().pool();
  await migrate(pool);
  const users = new PostgresUserStore(pool, { passwords: bcryptPasswords({ cost: 4 }) });
  await users.create({ email: "j\uFFFDrg@example.com", password: "correct horse battery", role: "member" });
  const app = express();
  app.use("/api", sessionAuth({ secret: "session-secret-of-at-least-32-bytes!!", roles: { member: ["read"] }, users }));
  const rateLimit = loginRateLimit({ store: new PostgresLimiterStore(pool), username: (req) => req.body?.email });
  app.use("/api/auth", authRouter({ users, rateLimit }));
  try {
    const login = (email: string, password: string) => request(app).post("/api/auth/login").send({ email, password });
    for (let i = 0; i < 10; i++) await login("j\uFFFDrg@example.com", "wrong").expect(401);
    await login("j\uFFFDrg@example.com", "correct horse battery").expect(429);
    // PostgreSQL reads each of the 2048 lone surrogates as U+FFFD (UTF-8 has no half pair), the
    // limiter counts each as itself: ten more guesses per variant, and the right one signs in.
    const variant = await login("j\uD800rg@example.com", "correct horse battery");
    expect(variant.status).toBe(429);
  } finally {
    await pool.end();
  }
});

test("a batch that fails fails every caller in it (a rejection, answered 503), never 'no such key'", async () => {
  const pool = pg().pool();
  await migrate(pool);
  const store = new PostgresKeyStore(pool, { timeoutMs: 500 });
  const record = sampleRecord();
  await store.insert(record);
  await pg().kill();
  try {
    const results = await Promise.allSettled([store.findByDigest(record.digest), store.findByDigest(randomBytes(32).toString("base64url"))]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
  } finally {
    await pg().restart();
    await store.close().catch(() => {});
    await pool.end();
  }
});

test("an outage that begins while the pool holds no idle connection is refused with 503 and logged, once, then its end", async () => {
  const pool = pg().pool({ idleTimeoutMillis: 100 });
  await migrate(pool);
  const lines: string[] = [];
  const logger: Logger = { warn: (message) => void lines.push(message), error: (message) => void lines.push(message) };
  watchPostgresPool(pool, { logger });
  const store = new PostgresKeyStore(pool, { timeoutMs: 500 });
  const record = sampleRecord();
  try {
    // A quiet moment: pg closes idle connections after idleTimeoutMillis (10 s by default), so none is left to die.
    await eventually(() => pool.totalCount === 0);
    await pg().kill();
    await expect(store.findById(record.id)).rejects.toThrow(); // the request gets 503
    await pg().restart();
    await expect(store.findById(record.id)).resolves.toBeUndefined();
    expect(lines).toEqual([expect.stringContaining("lost the connection"), expect.stringContaining("is back")]);
  } finally {
    await store.close().catch(() => {});
    await pool.end();
  }
});
