import request from "supertest";
import { RedisKeyStore } from "@portcullis/redis";
import { useRedisServer } from "@portcullis/testing";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

const redis = useRedisServer();

describe.each([["in memory", false], ["on Redis", true]])("the CorePlexML curl flow %s", (_where, onRedis) => {
  test("login sets an HttpOnly cookie; the cookie creates a key; the key calls the API as a Bearer token", async () => {
    const client = onRedis ? redis().client() : undefined;
    const { app } = await createApp(client ? { redis: client, keyStore: new RedisKeyStore(client) } : {});

    // curl -X POST "$BASE_URL/api/auth/login" -H "Content-Type: application/json" -c cookies.txt -d '{…}'
    const login = await request(app).post("/api/auth/login").set("Content-Type", "application/json").send(`{"email": "${EMAIL}", "password": "${PASSWORD}"}`).expect(200);
    const setCookie = (login.headers["set-cookie"] as unknown as string[])[0]!;
    expect(setCookie).toMatch(/; HttpOnly/i);
    expect(setCookie).toMatch(/; SameSite=Lax/i);
    expect(login.body).toMatchObject({ kind: "session", user: { email: EMAIL, role: "admin" }, scopes: ["admin"] });

    // curl -X POST "$BASE_URL/api/auth/api-keys" -b cookies.txt -H "Content-Type: application/json" -d '{"name": "CI Pipeline", …}'
    const created = await request(app)
      .post("/api/auth/api-keys")
      .set("Cookie", sessionCookie(login))
      .set("Content-Type", "application/json")
      .send('{"name": "CI Pipeline", "scopes": ["read", "write", "predict"]}')
      .expect(201);
    expect(created.body.key).toMatch(/^cpx_live\./);

    // curl "$BASE_URL/api/projects" -H "Authorization: Bearer $API_KEY"
    await request(app).get("/api/projects").set("Authorization", `Bearer ${created.body.key}`).expect(200);
    if (client) expect(await client.keys("portcullis:sess:*")).toHaveLength(1);
  });

  test("requests.Session(): the cookie from login is carried and reads the projects", async () => {
    const client = onRedis ? redis().client() : undefined;
    const { app } = await createApp(client ? { redis: client } : {});
    const session = request.agent(app); // keeps cookies between requests, as requests.Session() does
    await session.post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200);
    expect((await session.get("/api/projects").expect(200)).body).toEqual([{ id: "p1" }]);
    const me = await session.get("/api/auth/me").expect(200);
    expect(me.body.user.email).toBe(EMAIL);
  });
});
