/** `npm run demo` with REDIS_URL: keys, sessions, limits and the access log live in that Redis. */
import { useRedisServer, type ExampleServer } from "@portcullis/testing";
import { DEMO_ADMIN, startDemoOnRedis } from "./support/start-demo";

const redis = useRedisServer();
let demo: ExampleServer | undefined;

afterAll(() => demo?.stop());

test("the demo on Redis keeps keys, sessions, login limits and the access log there", async () => {
  demo = await startDemoOnRedis(redis().url);
  const json = { "Content-Type": "application/json" };
  const login = await fetch(`${demo.baseUrl}/api/auth/login`, { method: "POST", headers: json, body: JSON.stringify(DEMO_ADMIN) });
  expect(login.status).toBe(200);
  const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  const created = await fetch(`${demo.baseUrl}/api/auth/api-keys`, { method: "POST", headers: { ...json, Cookie: cookie }, body: JSON.stringify({ name: "ci", scopes: ["read"] }) });
  expect(created.status).toBe(201);
  const { key } = (await created.json()) as { key: string };
  expect((await fetch(`${demo.baseUrl}/api/projects`, { headers: { Authorization: `Bearer ${key}` } })).status).toBe(200);
  await fetch(`${demo.baseUrl}/api/auth/login`, { method: "POST", headers: json, body: JSON.stringify({ ...DEMO_ADMIN, password: "wrong-password" }) });

  const client = redis().client();
  const names = await client.keys("*");
  const has = (pattern: RegExp) => names.some((name) => pattern.test(name));
  expect(has(/^portcullis:key:/)).toBe(true); // the key's record (under its HMAC)
  expect(has(/^portcullis:sess:/)).toBe(true); // the session
  expect(has(/^portcullis:user:/)).toBe(true); // the admin user
  expect(has(/^portcullis:login-/)).toBe(true); // the failed login's count
  // The access log is written in the background; it appears within the flush interval.
  // Owners' events go to their own stream and the overview; the failed login, which names no
  // owner, to the stream of no owner.
  const logs = ["portcullis:{audit}:overview", "portcullis:{audit}:unowned"];
  for (let i = 0; i < 50 && (await client.exists(...logs)) < 2; i++) await new Promise((r) => setTimeout(r, 100));
  for (const log of logs) expect(await client.xlen(log)).toBeGreaterThan(0);
  const everything = JSON.stringify(await Promise.all(names.map(async (name) => [name, await client.type(name) === "string" ? await client.get(name) : ""])));
  expect(everything).not.toContain(key);

  // The process serves its own metrics to Prometheus: the walkthrough's outcomes are there.
  const scraped = await (await fetch(`${demo.baseUrl}/metrics`)).text();
  expect(scraped).toMatch(/^portcullis_auth_outcomes_total\{portcullis_middleware="apiKeyAuth",portcullis_credential_type="api_key",portcullis_outcome="success",[^}]*\} 1$/m);
  expect(scraped).toMatch(/^portcullis_auth_outcomes_total\{portcullis_middleware="authRouter",portcullis_credential_type="password",portcullis_outcome="invalid_credentials",[^}]*\} 1$/m);
}, 60_000);
