/**
 * `npm run demo` with DATABASE_URL: keys, users, second factors and the access log live in that
 * PostgreSQL (migrated as the demo starts), with or without a Redis beside it for sessions and
 * limits. The same flows pass as on Redis: the CorePlexML curl walkthrough and a sign-in with a
 * second factor; console.browser.test.ts runs the console on PostgreSQL too.
 */
import { totpCode } from "@portcullis/mfa";
import { eventually, usePostgres, useRedisServer, type ExampleServer } from "@portcullis/testing";
import { coreplexmlWalkthrough, expectedWalkthrough, SNIPPET_ADMIN } from "./support/coreplexml-walkthrough";
import { DEMO_SECRETS, startDemo } from "./support/start-demo";

const pg = usePostgres();
const redis = useRedisServer();
const demos: ExampleServer[] = [];
const JSON_BODY = { "Content-Type": "application/json" };
let databases = 0;

afterAll(() => demos.forEach((demo) => demo.stop()));

/** A new, empty database on the harness PostgreSQL, and a pool on it to look inside. */
async function freshDatabase() {
  databases += 1;
  const name = `demo_${databases}`;
  await pg().pool().query(`CREATE DATABASE ${name}`);
  const url = `postgres://postgres@127.0.0.1:${pg().port}/${name}`;
  return { url, pool: pg().pool({ connectionString: url }) };
}

async function started(env: Record<string, string>): Promise<ExampleServer> {
  const demo = await startDemo(env);
  demos.push(demo);
  return demo;
}

function cookieOf(response: Response): string {
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith("portcullis.sid="));
  if (!cookie) throw new Error(`no session cookie (status ${response.status})`);
  return cookie.split(";")[0]!;
}

const signIn = (demo: ExampleServer, body: object) => fetch(`${demo.baseUrl}/api/auth/login`, { method: "POST", headers: JSON_BODY, body: JSON.stringify(body) });

describe.each([
  ["without Redis", false],
  ["with Redis beside it", true],
])("the demo on DATABASE_URL %s", (_, withRedis) => {
  let demo: ExampleServer;
  let db: Awaited<ReturnType<typeof freshDatabase>>;

  beforeAll(async () => {
    db = await freshDatabase();
    demo = await started({
      DATABASE_URL: db.url,
      ...(withRedis ? { REDIS_URL: redis().url } : {}),
      PORTCULLIS_ADMIN_EMAIL: SNIPPET_ADMIN.email,
      PORTCULLIS_ADMIN_PASSWORD: SNIPPET_ADMIN.password,
    });
  }, 60_000);

  test("the CorePlexML curl walkthrough passes; keys, users and the access log are rows in PostgreSQL, never the full key", async () => {
    expect(demo.output()).toMatch(/^PostgreSQL: applied migrations 1(, \d+)+$/m);
    const { key, keyId, steps } = await coreplexmlWalkthrough(demo.baseUrl);
    expect(steps).toEqual(expectedWalkthrough(keyId));

    const keys = await db.pool.query("SELECT id, revoked_at, row_to_json(k)::text AS row FROM portcullis.api_keys AS k");
    expect(keys.rows).toEqual([{ id: keyId, revoked_at: expect.any(Date), row: expect.not.stringContaining(key) }]);
    expect((await db.pool.query("SELECT email FROM portcullis.users")).rows).toEqual([{ email: SNIPPET_ADMIN.email }]);
    const logged = await db.pool.query("SELECT DISTINCT action FROM portcullis.audit_events");
    expect(logged.rows.map((row) => row.action)).toEqual(expect.arrayContaining(["api_key.authenticate", "api_key.create", "api_key.revoke"]));

    if (withRedis) {
      // Sessions (and rate-limit counts) on Redis; no key or user record there.
      const names = await redis().client().keys("*");
      expect(names.some((name) => name.startsWith("portcullis:sess:"))).toBe(true);
      expect(names.filter((name) => /^portcullis:(key|user):/.test(name))).toEqual([]);
    } else {
      // No Redis: the walkthrough's session and its login counts are rows too.
      expect(Number((await db.pool.query("SELECT count(*) AS n FROM portcullis.sessions")).rows[0].n)).toBeGreaterThan(0);
      expect(Number((await db.pool.query("SELECT count(*) AS n FROM portcullis.rate_limits")).rows[0].n)).toBeGreaterThan(0);
    }
    const ready = await fetch(`${demo.baseUrl}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: "ready", checks: withRedis ? { postgres: "ok", redis: "ok" } : { postgres: "ok" } }]);
  }, 60_000);

  test("two-factor authentication: a user enrols with a code, then signs in with password and code; the enrolment is a row, its secret sealed", async () => {
    const admin = cookieOf(await signIn(demo, SNIPPET_ADMIN));
    const member = { email: "mfa-member@example.com", password: "member-password-123" };
    const made = await fetch(`${demo.baseUrl}/api/users`, { method: "POST", headers: { ...JSON_BODY, Cookie: admin }, body: JSON.stringify({ ...member, role: "member" }) });
    expect(made.status).toBe(201);
    const { id: userId } = (await made.json()) as { id: string };

    // Codes for successive time steps, never one step twice (the server refuses a replay).
    let lastStep = -1;
    const nextCode = (secret: string) => {
      lastStep = Math.max(Math.floor(Date.now() / 30_000), lastStep + 1);
      return totpCode(secret, lastStep * 30);
    };
    const session = cookieOf(await signIn(demo, member));
    const enrol = await fetch(`${demo.baseUrl}/api/auth/mfa/enrol`, { method: "POST", headers: { Cookie: session } });
    expect(enrol.status).toBe(200);
    const { secret } = (await enrol.json()) as { secret: string };
    const confirmed = await fetch(`${demo.baseUrl}/api/auth/mfa/confirm`, { method: "POST", headers: { ...JSON_BODY, Cookie: session }, body: JSON.stringify({ code: await nextCode(secret) }) });
    expect(confirmed.status).toBe(200);
    expect(((await confirmed.json()) as { recovery_codes: string[] }).recovery_codes).toHaveLength(10);

    const password = await signIn(demo, member);
    expect([password.status, await password.json()]).toEqual([401, expect.objectContaining({ error: "mfa_required", methods: ["totp", "recovery_code"] })]);
    const pending = cookieOf(password);
    const code = await fetch(`${demo.baseUrl}/api/auth/login/mfa`, { method: "POST", headers: { ...JSON_BODY, Cookie: pending }, body: JSON.stringify({ code: await nextCode(secret) }) });
    expect(code.status).toBe(200);
    const me = await fetch(`${demo.baseUrl}/api/auth/me`, { headers: { Cookie: cookieOf(code) } });
    expect([me.status, ((await me.json()) as { user: { email: string } }).user.email]).toEqual([200, member.email]);

    const { rows } = await db.pool.query("SELECT user_id, secret, cardinality(recovery_codes) AS codes FROM portcullis.mfa_enrolments");
    expect(rows).toEqual([{ user_id: userId, secret: expect.not.stringContaining(secret), codes: 10 }]);
  }, 60_000);
});

test("replicas started at once on a new database both come up: one migrates and creates the admin, the other finds both done; a revoke on one reaches the other's cache, and keys outlive a restart", async () => {
  const db = await freshDatabase();
  const env = { DATABASE_URL: db.url, PORTCULLIS_ADMIN_PASSWORD: "" }; // no password: the creator generates one
  const [one, two] = await Promise.all([started(env), started(env)]);
  const outputs = [one!.output(), two!.output()];
  expect(outputs.filter((output) => /^PostgreSQL: applied migrations 1(, \d+)+$/m.test(output))).toHaveLength(1);
  expect(outputs.filter((output) => /^PostgreSQL: schema up to date$/m.test(output))).toHaveLength(1);
  const passwords = outputs.flatMap((output) => /^Admin: admin@example\.com \/ (\S+) {2}\(generated, shown once\)$/m.exec(output)?.[1] ?? []);
  expect(passwords).toHaveLength(1);
  const admin = { email: "admin@example.com", password: passwords[0]! };

  const cookie = cookieOf(await signIn(one!, admin));
  const create = async (name: string) => {
    const created = await fetch(`${one!.baseUrl}/api/auth/api-keys`, { method: "POST", headers: { ...JSON_BODY, Cookie: cookie }, body: JSON.stringify({ name, scopes: ["read"] }) });
    expect(created.status).toBe(201);
    return (await created.json()) as { key: string; key_id: string };
  };
  const projects = (demo: ExampleServer, key: string) => fetch(`${demo.baseUrl}/api/projects`, { headers: { Authorization: `Bearer ${key}` } }).then((r) => r.status);
  const kept = await create("kept");
  const revoked = await create("revoked");
  expect([await projects(two!, kept.key), await projects(two!, revoked.key)]).toEqual([200, 200]); // now in two's cache
  // Revoked through one: the key table's trigger NOTIFYs, and two drops the key from its cache at
  // once, not when the cache entry expires (10 s).
  expect((await fetch(`${one!.baseUrl}/api/auth/api-keys/${revoked.key_id}`, { method: "DELETE", headers: { Cookie: cookie } })).status).toBe(204);
  await eventually(async () => (await projects(two!, revoked.key)) === 401);

  one!.stop();
  two!.stop();
  const again = await started(env);
  expect(again.output()).toMatch(/^PostgreSQL: schema up to date$/m);
  expect(again.output()).toMatch(/^Admin: admin@example\.com exists already$/m);
  expect([await projects(again, kept.key), await projects(again, revoked.key)]).toEqual([200, 401]);
  expect((await signIn(again, admin)).status).toBe(200);
}, 90_000);

test("DATABASE_URL without the secrets: the demo does not start, and says which it needs", async () => {
  const { url } = await freshDatabase();
  const without = Object.fromEntries(Object.keys(DEMO_SECRETS).map((name) => [name, ""]));
  await expect(started({ DATABASE_URL: url, ...without })).rejects.toThrow(
    /PORTCULLIS_SECRET, SESSION_SECRET and MFA_ENCRYPTION_KEY are required with DATABASE_URL/,
  );
});
