/**
 * The flows with every record in the database an app already backs up: users and emailed tokens in
 * PostgreSQL, or on Redis, and the messages in that backing's outbox.
 */
import request from "supertest";
import type { PasswordHasher } from "@portcullis/core";
import { migrate, PostgresEmailTokenStore, PostgresOutbox, PostgresUserStore } from "@portcullis/postgres";
import { RedisEmailTokenStore, RedisOutbox, RedisUserStore } from "@portcullis/redis";
import { usePostgres, useRedisServer } from "@portcullis/testing";
import { ADA, createEmailApp, signedIn } from "./email-app";

const pg = usePostgres();
const redis = useRedisServer();

const BACKINGS = [
  [
    "PostgreSQL",
    async () => {
      const pool = pg().pool();
      await migrate(pool);
      await pool.query("TRUNCATE portcullis.users, portcullis.email_tokens, portcullis.outbox");
      return {
        tokens: new PostgresEmailTokenStore(pool),
        mailer: new PostgresOutbox(pool),
        users: (passwords: PasswordHasher, now: () => number) => new PostgresUserStore(pool, { passwords, now }),
      };
    },
  ],
  [
    "Redis",
    async () => {
      const client = redis().client();
      await client.flushall();
      return {
        tokens: new RedisEmailTokenStore(client),
        mailer: new RedisOutbox(client),
        users: (passwords: PasswordHasher, now: () => number) => new RedisUserStore(client, { passwords, now }),
      };
    },
  ],
] as const;

/** The token of the newest message in the outbox whose subject matches, once it is there. */
async function tokenFromOutbox(outbox: { list(limit?: number): Promise<{ subject: string; text: string }[]> }, subject: RegExp): Promise<string> {
  for (let tries = 0; tries < 100; tries += 1) {
    const message = (await outbox.list(10)).find((kept) => subject.test(kept.subject));
    const token = message && /#token=([A-Za-z0-9_-]+)/.exec(message.text)?.[1];
    if (token) return token;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no message about ${subject} in the outbox`);
}

describe.each(BACKINGS)("on %s", (_name, backing) => {
  test("a reset and an email change, each link spent once", async () => {
    const { tokens, mailer, users } = await backing();
    const { app } = await createEmailApp(undefined, { tokens, mailer, users });
    await request(app).post("/api/auth/password/forgot").send({ email: ADA.email }).expect(202);
    const reset = await tokenFromOutbox(mailer, /^Reset your/);
    await request(app).post("/api/auth/password/reset").send({ token: reset, new_password: "ada's new password" }).expect(200);
    await request(app).post("/api/auth/password/reset").send({ token: reset, new_password: "once more" }).expect(400);

    const browser = await signedIn(app, { email: ADA.email, password: "ada's new password" });
    await browser.post("/api/auth/email").send({ email: "ada.new@example.test" }).expect(202);
    const change = await tokenFromOutbox(mailer, /^Confirm your new/);
    await request(app).post("/api/auth/email/verify").send({ token: change }).expect(200);
    await request(app).post("/api/auth/login").send({ email: "ADA.NEW@example.test", password: "ada's new password" }).expect(200);
    await request(app).post("/api/auth/email/verify").send({ token: change }).expect(400);
  });
});
