/** `npm run demo` with REDIS_URL: keys, sessions, limits and the access log live in that Redis. */
import { startExampleServer, useRedisServer, type ExampleServer } from "@portcullis/testing";
import { resolve } from "node:path";

const redis = useRedisServer();
let demo: ExampleServer | undefined;

afterAll(() => demo?.stop());

test("the demo on Redis keeps keys, sessions, login limits and the access log there", async () => {
  demo = await startExampleServer(resolve(__dirname, "../server.js"), "portcullis demo on", {
    REDIS_URL: redis().url,
    PORTCULLIS_SECRET: "s".repeat(40),
    SESSION_SECRET: "t".repeat(40),
    MFA_ENCRYPTION_KEY: "m".repeat(40),
    PORTCULLIS_ADMIN_EMAIL: "admin@example.com",
    PORTCULLIS_ADMIN_PASSWORD: "demo-password-123",
  });
  const json = { "Content-Type": "application/json" };
  const login = await fetch(`${demo.baseUrl}/api/auth/login`, { method: "POST", headers: json, body: JSON.stringify({ email: "admin@example.com", password: "demo-password-123" }) });
  expect(login.status).toBe(200);
  const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  const created = await fetch(`${demo.baseUrl}/api/auth/api-keys`, { method: "POST", headers: { ...json, Cookie: cookie }, body: JSON.stringify({ name: "ci", scopes: ["read"] }) });
  expect(created.status).toBe(201);
  const { key } = (await created.json()) as { key: string };
  expect((await fetch(`${demo.baseUrl}/api/projects`, { headers: { Authorization: `Bearer ${key}` } })).status).toBe(200);
  await fetch(`${demo.baseUrl}/api/auth/login`, { method: "POST", headers: json, body: JSON.stringify({ email: "admin@example.com", password: "wrong-password" }) });

  const client = redis().client();
  const names = await client.keys("*");
  const has = (pattern: RegExp) => names.some((name) => pattern.test(name));
  expect(has(/^portcullis:key:/)).toBe(true); // the key's record (under its HMAC)
  expect(has(/^portcullis:sess:/)).toBe(true); // the session
  expect(has(/^portcullis:user:/)).toBe(true); // the admin user
  expect(has(/^portcullis:login-/)).toBe(true); // the failed login's count
  // The access log is written in the background; it appears within the flush interval.
  for (let i = 0; i < 50 && !(await client.exists("portcullis:audit")); i++) await new Promise((r) => setTimeout(r, 100));
  expect(await client.xlen("portcullis:audit")).toBeGreaterThan(0);
  const everything = JSON.stringify(await Promise.all(names.map(async (name) => [name, await client.type(name) === "string" ? await client.get(name) : ""])));
  expect(everything).not.toContain(key);
}, 60_000);
