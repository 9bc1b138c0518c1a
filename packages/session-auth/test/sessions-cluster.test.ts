import request from "supertest";
import type { Cluster } from "ioredis";
import { RedisUserStore } from "@portcullis/redis";
import { bcryptPasswords } from "@portcullis/session-auth";
import { describeUserStoreContract, keysPerMaster, useRedisCluster } from "@portcullis/testing";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

// Sessions (connect-redis), the per-user session index and the users themselves, through
// ioredis's Cluster client on three real masters. Each session, each user's index and each user
// record has a slot of its own, so a login or a revocation writes to several masters in turn.
const cluster = useRedisCluster();
type App = Parameters<typeof request>[0];
let run = 0;

describeUserStoreContract("RedisUserStore on Redis Cluster", (passwords = bcryptPasswords({ cost: 4 })) =>
  new RedisUserStore(cluster().client(), { passwords, prefix: `u${++run}:` }),
);

async function loginAs(app: App, userAgent: string, password = PASSWORD) {
  return sessionCookie(await request(app).post("/api/auth/login").set("User-Agent", userAgent).send({ email: EMAIL, password }).expect(200));
}

const sessionKeysPerMaster = (client: Cluster) => keysPerMaster(client, "portcullis:sess:*");

test("login, a session request, listing, revoking one and the others, and logout all work across the masters", async () => {
  const client = cluster().client();
  const { app, clock } = await createApp({ redis: client, redisUsers: true });
  const laptop = await loginAs(app, "laptop");
  clock.advance(1000); // listed oldest first
  const phone = await loginAs(app, "phone");
  clock.advance(1000);
  const tablet = await loginAs(app, "tablet");
  clock.advance(1000);
  const current = await loginAs(app, "current");
  await request(app).get("/api/projects").set("Cookie", laptop).expect(200);
  expect((await request(app).get("/api/auth/me").set("Cookie", current).expect(200)).body.user.email).toBe(EMAIL);

  const listed = await request(app).get("/api/auth/sessions").set("Cookie", current).expect(200);
  expect(listed.body.sessions.map((s: { user_agent: string; current: boolean }) => [s.user_agent, s.current])).toEqual([
    ["laptop", false],
    ["phone", false],
    ["tablet", false],
    ["current", true],
  ]);

  const laptopId = listed.body.sessions[0].id;
  await request(app).delete(`/api/auth/sessions/${laptopId}`).set("Cookie", current).expect(204);
  await request(app).get("/api/projects").set("Cookie", laptop).expect(401);
  await request(app).get("/api/projects").set("Cookie", phone).expect(200);

  expect((await request(app).post("/api/auth/sessions/revoke-others").set("Cookie", current).expect(200)).body).toEqual({ revoked: 2 });
  for (const cookie of [phone, tablet]) await request(app).get("/api/projects").set("Cookie", cookie).expect(401);
  expect((await request(app).get("/api/auth/sessions").set("Cookie", current).expect(200)).body.sessions).toHaveLength(1);

  await request(app).post("/api/auth/logout").set("Cookie", current).expect(204);
  await request(app).get("/api/projects").set("Cookie", current).expect(401);
  expect(await sessionKeysPerMaster(client)).toEqual([0, 0, 0]);
});

test("a login regenerates the session id: a cookie held before it is worthless after it", async () => {
  const { app } = await createApp({ redis: cluster().client(), redisUsers: true });
  const before = await loginAs(app, "browser");
  const after = sessionCookie(await request(app).post("/api/auth/login").set("Cookie", before).send({ email: EMAIL, password: PASSWORD }).expect(200));
  expect(after).not.toBe(before);
  await request(app).get("/api/auth/me").set("Cookie", before).expect(401);
  await request(app).get("/api/auth/me").set("Cookie", after).expect(200);
});

test("a password change revokes the other sessions, renews this one, and the new password signs in", async () => {
  const { app } = await createApp({ redis: cluster().client(), redisUsers: true });
  const other = await loginAs(app, "other");
  const current = await loginAs(app, "current");
  const changed = await request(app)
    .post("/api/auth/password")
    .set("Cookie", current)
    .send({ current_password: PASSWORD, new_password: "a-new-password" })
    .expect(200);
  expect(changed.body).toEqual({ password_changed: true, other_sessions_revoked: 1 });
  const renewed = sessionCookie(changed);
  for (const cookie of [other, current]) await request(app).get("/api/projects").set("Cookie", cookie).expect(401);
  await request(app).get("/api/projects").set("Cookie", renewed).expect(200);
  await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(401);
  await loginAs(app, "again", "a-new-password");
});

test("one user's sessions land on more than one master", async () => {
  const client = cluster().client();
  const { app } = await createApp({ redis: client, redisUsers: true });
  const before = await sessionKeysPerMaster(client);
  for (let i = 0; i < 12; i++) await loginAs(app, `device-${i}`);
  const after = await sessionKeysPerMaster(client);
  const added = after.map((count, i) => count - before[i]!);
  expect(added.reduce((a, b) => a + b, 0)).toBe(12);
  expect(added.filter((count) => count > 0).length).toBeGreaterThan(1); // all twelve on one master: about 1 in 60,000
});
