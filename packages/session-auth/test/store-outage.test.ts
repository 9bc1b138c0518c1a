import request from "supertest";
import { useRedisServer } from "@portcullis/testing";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

const redis = useRedisServer();

test("with the session store unreachable, a session request and a login get 503, never a pass; both recover", async () => {
  const client = redis().client({ enableOfflineQueue: false });
  await new Promise((resolve) => client.once("ready", resolve));
  const { app } = await createApp({ redis: client });
  const cookie = sessionCookie(await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200));

  const ended = new Promise((resolve) => client.once("end", resolve));
  client.disconnect();
  await ended;
  const refused = await request(app).get("/api/projects").set("Cookie", cookie).expect(503);
  expect(refused.body.error).toBe("auth_unavailable");
  expect(refused.headers["retry-after"]).toBe("1");
  expect((await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD })).status).toBe(503);

  await client.connect();
  await request(app).get("/api/projects").set("Cookie", cookie).expect(200);
});
