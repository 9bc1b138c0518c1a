import { createHash } from "node:crypto";
import request from "supertest";
import { RedisKeyStore } from "@portcullis/redis";
import { useRedisServer } from "@portcullis/testing";
import { createApp } from "./create-app";

const redis = useRedisServer();
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

async function redisApp() {
  const client = redis().client();
  await client.flushall();
  return { client, ...(await createApp({ store: new RedisKeyStore(client) })) };
}

test("a key created through the router authenticates the next request with each of the three headers", async () => {
  const { app, adminKey } = await redisApp();
  const created = await request(app)
    .post("/api/auth/api-keys")
    .set(bearer(adminKey))
    .send({ name: "CI Pipeline", scopes: ["read", "write", "predict"] })
    .expect(201);
  const { key, key_id } = created.body;
  expect(key).toMatch(/^cpx_live\.[0-9A-Za-z]{38}$/);
  expect(created.body).toMatchObject({ key_id: expect.stringMatching(/^key_/), name: "CI Pipeline", scopes: ["read", "write", "predict"], status: "active", expires_at: null });
  expect(created.headers["cache-control"]).toBe("no-store");

  for (const headers of [bearer(key), { "x-api-key": key }, { Authorization: `Key ${key}` }]) {
    await request(app).get("/api/projects").set(headers).expect(200);
  }
  const shown = await request(app).get(`/api/auth/api-keys/${key_id}`).set(bearer(adminKey)).expect(200);
  expect(JSON.stringify(shown.body)).not.toContain(key);
  expect(shown.body.preview).toBe(`cpx_live.${key.slice(9, 13)}…${key.slice(-4)}`);
});

test("after revocation the key is refused on the very next request, as revoked_key", async () => {
  const { app, adminKey } = await redisApp();
  const { key, key_id } = (await request(app).post("/api/auth/api-keys").set(bearer(adminKey)).send({ name: "tmp", scopes: ["read"] })).body;
  await request(app).get("/api/projects").set(bearer(key)).expect(200);
  await request(app).delete(`/api/auth/api-keys/${key_id}`).set(bearer(adminKey)).expect(204);
  const res = await request(app).get("/api/projects").set(bearer(key)).expect(401);
  expect(res.body.error).toBe("revoked_key");
  const listed = await request(app).get("/api/auth/api-keys?status=all").set(bearer(adminKey)).expect(200);
  expect(listed.body.keys.find((k: { key_id: string }) => k.key_id === key_id).status).toBe("revoked");
});

test("after expiry the key is refused on the next request, as expired_key", async () => {
  const { app, adminKey, clock } = await redisApp();
  const { key } = (await request(app).post("/api/auth/api-keys").set(bearer(adminKey)).send({ name: "1h", scopes: ["read"], expires_in: 3600 }).expect(201)).body;
  clock.advance(3_599_000);
  await request(app).get("/api/projects").set(bearer(key)).expect(200);
  clock.advance(1000);
  expect((await request(app).get("/api/projects").set(bearer(key)).expect(401)).body.error).toBe("expired_key");
});

test("during a rotation both keys work until the grace period ends; then only the new one", async () => {
  const { app, adminKey, clock } = await redisApp();
  const old = (await request(app).post("/api/auth/api-keys").set(bearer(adminKey)).send({ name: "svc", scopes: ["read"], metadata: { team: "ml" } })).body;
  const rotated = await request(app)
    .post(`/api/auth/api-keys/${old.key_id}/rotate`)
    .set(bearer(adminKey))
    .send({ grace_period_seconds: 600 })
    .expect(201);
  expect(rotated.body).toMatchObject({ name: "svc", scopes: ["read"], metadata: { team: "ml" }, rotated_from: old.key_id });
  expect(rotated.body.previous).toMatchObject({ key_id: old.key_id, rotated_to: rotated.body.key_id });
  expect(rotated.body.key).not.toBe(old.key);

  clock.advance(599_000);
  await request(app).get("/api/projects").set(bearer(old.key)).expect(200);
  await request(app).get("/api/projects").set(bearer(rotated.body.key)).expect(200);
  clock.advance(1000);
  expect((await request(app).get("/api/projects").set(bearer(old.key)).expect(401)).body.error).toBe("expired_key");
  await request(app).get("/api/projects").set(bearer(rotated.body.key)).expect(200);
});

test("nothing in Redis is a key or lets anyone authenticate: every key and value is read", async () => {
  const { app, adminKey, client, keys } = await redisApp();
  const issued = [adminKey];
  for (const name of ["a", "b", "c"]) {
    const { key, key_id } = (await request(app).post("/api/auth/api-keys").set(bearer(adminKey)).send({ name, scopes: ["read"] })).body;
    issued.push(key);
    await request(app).get("/api/projects").set({ "x-api-key": key }).expect(200);
    if (name === "b") await request(app).delete(`/api/auth/api-keys/${key_id}`).set(bearer(adminKey)).expect(204);
    if (name === "c") issued.push((await request(app).post(`/api/auth/api-keys/${key_id}/rotate`).set(bearer(adminKey)).send({})).body.key);
  }
  await keys.store.flush();

  const everything: string[] = [];
  const names: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await client.scan(cursor, "COUNT", 100);
    names.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  for (const name of names) {
    everything.push(name);
    const type = await client.type(name);
    if (type === "string") everything.push((await client.get(name))!);
    else if (type === "hash") everything.push(...Object.entries(await client.hgetall(name)).flat());
    else if (type === "zset") everything.push(...(await client.zrange(name, "0", "-1")));
    else if (type === "set") everything.push(...(await client.smembers(name)));
    else throw new Error(`unexpected Redis type ${type} at ${name}`);
  }
  const dump = everything.join("\n");
  expect(everything.length).toBeGreaterThan(20);
  for (const key of issued) {
    const hidden = key.slice(9 + 4, -4); // what the masked preview does not show
    expect(dump).not.toContain(key);
    expect(dump).not.toContain(hidden.slice(0, 12));
    expect(dump).not.toContain(hidden.slice(-12));
    // An unkeyed hash would let anyone test guesses offline; only the HMAC under the server secret is stored.
    expect(dump).not.toContain(createHash("sha256").update(key).digest("hex"));
    expect(dump).not.toContain(createHash("sha256").update(key).digest("base64url"));
  }
});
