/**
 * Sign-up, linking and sign-in through a real OpenID Provider with every record in the database an
 * app already backs up: users, identities and sessions in PostgreSQL, or all on Redis. A restart
 * (a new app on the same stores) still finds the linked identity.
 */
import request from "supertest";
import type { PasswordHasher } from "@portcullis/core";
import { migrate, PostgresIdentityStore, PostgresUserStore, postgresSessionStorage } from "@portcullis/postgres";
import { RedisIdentityStore, RedisUserStore, redisSessionStorage } from "@portcullis/redis";
import { useOpenIdProvider, usePostgres, useRedisServer } from "@portcullis/testing";
import { APP_CLIENT, createOAuthApp, PASSWORD_USER, onApp, signInThrough, testProvider } from "./oauth-app";

const op = useOpenIdProvider({
  clients: [APP_CLIENT],
  accounts: [
    { sub: "nina-sub", email: "nina@example.test", email_verified: true },
    { sub: "pat-sub", email: PASSWORD_USER.email, email_verified: true },
  ],
});
const pg = usePostgres();
const redis = useRedisServer();

const BACKINGS = [
  [
    "PostgreSQL",
    async () => {
      const pool = pg().pool();
      await migrate(pool);
      await pool.query("TRUNCATE portcullis.users, portcullis.identities");
      return {
        identities: new PostgresIdentityStore(pool),
        users: (passwords: PasswordHasher, now: () => number) => new PostgresUserStore(pool, { passwords, now }),
        sessions: postgresSessionStorage(pool),
      };
    },
  ],
  [
    "Redis",
    async () => {
      const client = redis().client();
      await client.flushall();
      return {
        identities: new RedisIdentityStore(client),
        users: (passwords: PasswordHasher, now: () => number) => new RedisUserStore(client, { passwords, now }),
        sessions: redisSessionStorage(client),
      };
    },
  ],
] as const;

describe.each(BACKINGS)("on %s", (_name, open) => {
  test("a passwordless sign-up, a link by a password user, and both sign in again after a restart", async () => {
    const stores = await open();
    const first = await createOAuthApp({ providers: [testProvider(op())], oauth: { signUp: { role: "member" } }, ...stores });
    expect((await signInThrough(request.agent(first.app), op(), "nina-sub")).status).toBe(303);
    expect(await first.users.findByEmail("nina@example.test")).toMatchObject({ passwordless: true, role: "member" });
    await request(first.app).post("/api/auth/login").send({ email: "nina@example.test", password: "" }).expect(400);
    await request(first.app).post("/api/auth/login").send({ email: "nina@example.test", password: "anything at all" }).expect(401);

    const pat = request.agent(first.app);
    await pat.post("/api/auth/login").send(PASSWORD_USER).expect(200);
    const started = await pat.post("/api/auth/oauth/corp/link").expect(303);
    await pat.get(onApp(await op().completeLogin(started.headers.location!, "pat-sub"))).expect(303);

    // A second app on the same stores: a restart, or another replica.
    const restarted = await createOAuthApp({ providers: [testProvider(op())], oauth: { signUp: { role: "member" } }, ...stores });
    const nina = request.agent(restarted.app);
    await signInThrough(nina, op(), "nina-sub");
    expect((await nina.get("/api/auth/me").expect(200)).body.user.email).toBe("nina@example.test");
    const patAgain = request.agent(restarted.app);
    await signInThrough(patAgain, op(), "pat-sub");
    expect((await patAgain.get("/api/auth/me").expect(200)).body.user.email).toBe(PASSWORD_USER.email);
    const listed = await patAgain.get("/api/auth/oauth/identities").expect(200);
    expect(listed.body).toMatchObject({ identities: [{ provider: "corp", subject: "pat-sub" }], password: true });
  });
});
