import request from "supertest";
import { useRedisServer } from "@portcullis/testing";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

// A cookie of ours (signed with the session secret) whose session the store no longer holds: the
// session ended, and the guards say so. Anything else in the cookie is no credential at all.
const redis = useRedisServer();
const ENDED = { error: "session_expired", detail: "The session has expired; sign in again." };
const MISSING = { error: "missing_credentials", detail: "Authentication credentials were not provided." };

const login = (app: Parameters<typeof request>[0], credentials = { email: EMAIL, password: PASSWORD }) =>
  request(app).post("/api/auth/login").send(credentials).expect(200);

test("a cookie replayed after logout answers session_expired on every guard", async () => {
  const { app } = await createApp();
  const cookie = sessionCookie(await login(app));
  await request(app).post("/api/auth/logout").set("Cookie", cookie).expect(204);
  expect((await request(app).get("/api/projects").set("Cookie", cookie).expect(401)).body).toEqual(ENDED);
  expect((await request(app).get("/api/auth/me").set("Cookie", cookie).expect(401)).body).toEqual(ENDED);
  expect((await request(app).post("/api/account/danger").set("Cookie", cookie).expect(401)).body).toEqual(ENDED);
  // Still no credential: signing in again works, and the new cookie is a session.
  const fresh = sessionCookie(await login(app));
  await request(app).get("/api/projects").set("Cookie", fresh).expect(200);
});

test("a session revoked from another one, or dropped by Redis, answers session_expired", async () => {
  const client = redis().client();
  const { app } = await createApp({ redis: client });
  const revoked = [sessionCookie(await login(app)), sessionCookie(await login(app))];
  const current = sessionCookie(await login(app));
  expect((await request(app).post("/api/auth/sessions/revoke-others").set("Cookie", current).expect(200)).body).toEqual({ revoked: 2 });
  for (const cookie of revoked) expect((await request(app).get("/api/projects").set("Cookie", cookie).expect(401)).body).toEqual(ENDED);

  const other = sessionCookie(await login(app));
  const sessionId = decodeURIComponent(other.split("=")[1]!).slice(2).split(".")[0]!;
  const [stored] = await client.keys(`*sess:${sessionId}`);
  expect(stored).toBeDefined();
  await client.del(stored!); // the store forgot it (its TTL ran out, or it was evicted)
  expect((await request(app).get("/api/projects").set("Cookie", other).expect(401)).body).toEqual(ENDED);
  await request(app).get("/api/projects").set("Cookie", current).expect(200);
});

test("a cookie that is not ours (unsigned, a bad signature, another secret) stays missing_credentials", async () => {
  const { app } = await createApp();
  const theirs = await createApp({ session: { secret: "another-app-secret-of-32-bytes-or-more" } });
  const foreign = sessionCookie(await login(theirs.app));
  const ours = sessionCookie(await login(app));
  const [name, value] = ours.split("=") as [string, string];
  const forged = `${name}=${value.slice(0, -4)}AAAA`;
  for (const cookie of [`${name}=plain-session-id`, `${name}=s%3Aunknown-id.bad-signature`, forged, foreign, `${name}=`]) {
    expect((await request(app).get("/api/projects").set("Cookie", cookie).expect(401)).body).toEqual(MISSING);
  }
  expect((await request(app).get("/api/projects").expect(401)).body).toEqual(MISSING);
});
