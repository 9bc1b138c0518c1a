import request from "supertest";
import { redisSessionStorage, RedisMfaStore } from "@portcullis/redis";
import { RecoveryCodeHasher, SecretBox, newRecoveryCodes, newTotpSecret } from "@portcullis/mfa";
import { useRedisServer } from "@portcullis/testing";
import { sessionCookie } from "./create-app";
import { codeAt, createMfaApp, enrolAdmin, expectFiveChecked, MFA_KEY, passwordLogin, secondStep, wrongCodesAtOnce } from "./mfa-support";

const redis = useRedisServer();
const OTHER_KEY = "a-different-mfa-key-of-at-least-32-bytes";
let run = 0;

/** An app with sessions and second factors on Redis. */
function appOnRedis(prefix: string, encryptionKey: string | string[] = MFA_KEY) {
  const client = redis().client();
  return createMfaApp({ redis: client, mfaStore: new RedisMfaStore(client, { prefix }), encryptionKey });
}

test("Redis holds the secret sealed and the recovery codes as digests: neither in the clear", async () => {
  const prefix = `sealed${++run}:`;
  const { app, clock, admin } = await appOnRedis(prefix);
  const { secret, recoveryCodes } = await enrolAdmin(app, clock);
  const client = redis().client();
  const keys = await client.keys(`${prefix}*`);
  expect(keys).toEqual([`${prefix}mfa:${admin.id}`]);
  const hash = await client.hgetall(keys[0]!);
  expect(hash.secret).toMatch(/^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
  const stored = JSON.stringify(hash);
  expect(stored).not.toContain(secret);
  for (const code of recoveryCodes) {
    expect(stored).not.toContain(code);
    expect(stored).not.toContain(code.replace("-", ""));
  }
  expect(Object.keys(hash).filter((field) => field.startsWith("rc:"))).toHaveLength(10);
});

/** Writes a confirmed enrolment for `userId` as an app under `MFA_KEY` would have: the secret sealed, the codes hashed. */
async function enrolledUnderOldKey(store: RedisMfaStore, userId: string, at: number) {
  const secret = newTotpSecret();
  const recoveryCodes = newRecoveryCodes();
  const sealed = new SecretBox(MFA_KEY).seal(secret, userId);
  const hasher = new RecoveryCodeHasher(MFA_KEY);
  await store.startEnrolment(userId, sealed, at);
  await store.confirm(userId, { secret: sealed, recoveryCodes: recoveryCodes.map((code) => hasher.digest(userId, code)), at, step: 0 });
  return { secret, recoveryCodes };
}

test("under another encryption key the stored secret does not open: codes are refused, and the password alone still is", async () => {
  const { app, clock, admin, mfaStore } = await appOnRedis(`wrongkey${++run}:`, OTHER_KEY);
  const { secret, recoveryCodes } = await enrolledUnderOldKey(mfaStore as RedisMfaStore, admin.id, clock.now);
  const first = await passwordLogin(app).expect(401);
  expect(first.body.error).toBe("mfa_required"); // never "not enrolled"
  const pending = sessionCookie(first);
  const refused = await secondStep(app, pending, { code: await codeAt(secret, clock) }).expect(401);
  expect(refused.body).toEqual({ error: "invalid_credentials", detail: "Invalid or already used code." });
  await secondStep(app, pending, { recovery_code: recoveryCodes[0] }).expect(401);
});

test("key rotation: with [newKey, oldKey] a secret and recovery codes made under the old key still work", async () => {
  const { app, clock, admin, mfaStore } = await appOnRedis(`rotated${++run}:`, [OTHER_KEY, MFA_KEY]);
  const { secret, recoveryCodes } = await enrolledUnderOldKey(mfaStore as RedisMfaStore, admin.id, clock.now);
  await secondStep(app, sessionCookie(await passwordLogin(app).expect(401)), { code: await codeAt(secret, clock) }).expect(200);
  await secondStep(app, sessionCookie(await passwordLogin(app).expect(401)), { recovery_code: recoveryCodes[0] }).expect(200);
});

test("a tampered sealed secret refuses every code instead of switching MFA off", async () => {
  const prefix = `tampered${++run}:`;
  const { app, clock, admin } = await appOnRedis(prefix);
  const { secret } = await enrolAdmin(app, clock);
  const client = redis().client();
  const sealed = (await client.hget(`${prefix}mfa:${admin.id}`, "secret"))!;
  const [version, iv, body, tag] = sealed.split(".") as [string, string, string, string];
  await client.hset(`${prefix}mfa:${admin.id}`, "secret", [version, iv, (body[0] === "A" ? "B" : "A") + body.slice(1), tag].join("."));
  const pending = sessionCookie(await passwordLogin(app).expect(401));
  await secondStep(app, pending, { code: await codeAt(secret, clock) }).expect(401);
  expect((await request(app).get("/api/auth/me").set("Cookie", pending)).status).toBe(401);
});

test("a sign-in waiting for its code is kept in Redis only as long as it can be finished (5 minutes, and 1 to say it came too late)", async () => {
  const prefix = `pending${++run}:`;
  const client = redis().client();
  const { app, clock } = await createMfaApp({ redis: client, mfaStore: new RedisMfaStore(client, { prefix }), session: { sessions: redisSessionStorage(client, { prefix }) } });
  const { cookie } = await enrolAdmin(app, clock);
  await request(app).post("/api/auth/logout").set("Cookie", cookie).expect(204);
  await passwordLogin(app).expect(401); // mfa_required: the pending sign-in is the only session left
  const sessions = (await client.keys(`${prefix}*`)).filter((key) => !key.includes("mfa:") && !key.includes("user-sessions"));
  expect(sessions).toHaveLength(1);
  const ttl = await client.ttl(sessions[0]!);
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(360);
});

test("twenty wrong codes at once on one pending sign-in, with sessions and second factors on Redis: exactly five are checked", async () => {
  const { app, clock, mfaStore } = await appOnRedis(`parallel${++run}:`);
  const { secret } = await enrolAdmin(app, clock);
  expectFiveChecked(await wrongCodesAtOnce(app, clock, mfaStore, secret));
});
