/**
 * A bounded fuzz run of the demo's HTTP surface: a few thousand random requests (routes and
 * beyond, odd methods and framing, mangled credentials, hostile bodies) sent as raw bytes to the
 * demo running on its own Redis. Whatever arrives, the server answers without a 5xx, stays up,
 * and lets in only a request that carries a real credential, unmodified.
 */
import fc from "fast-check";
import { useRedisServer, type ExampleServer } from "@portcullis/testing";
import { startDemoOnRedis } from "./support/start-demo";
import { fuzzRequests, render, SESSION_COOKIE, type Credentials, type FuzzRequest, type FuzzWorld } from "./support/fuzz-requests";
import { sendRaw, type RawResponse } from "./support/raw-http";

const redis = useRedisServer();
let demo: ExampleServer | undefined;
afterAll(() => demo?.stop());

const ADMIN = { email: "admin@example.com", password: "fuzz-admin-password-1" };
const MEMBER = { email: "member@example.com", password: "fuzz-member-password-1" };
/** Batches of up to this many requests go out at once, so handlers also race each other. */
const BATCH = 8;

async function call(baseUrl: string, method: string, path: string, { cookie, key, body }: { cookie?: string; key?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (cookie) headers.Cookie = `${SESSION_COOKIE}=${cookie}`;
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(baseUrl + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, json: (await res.json().catch(() => undefined)) as Record<string, any>, setCookie: res.headers.get("set-cookie") };
}

/** Logs in and makes a key: the real credentials the fuzz mixes in. */
async function credentialsOf(baseUrl: string, user: { email: string; password: string }, scopes: string[]): Promise<Credentials> {
  const login = await call(baseUrl, "POST", "/api/auth/login", { body: user });
  expect(login.status).toBe(200);
  const cookie = new RegExp(`^${SESSION_COOKIE.replace(".", "\\.")}=([^;]+)`).exec(login.setCookie ?? "")![1]!;
  const created = await call(baseUrl, "POST", "/api/auth/api-keys", { cookie, body: { name: "fuzz", scopes } });
  expect(created.status).toBe(201);
  return { key: created.json.key, keyId: created.json.key_id, cookie, userId: login.json.user.id };
}

/** The pathname as the router may see it (raw, decoded, resolved), lower-cased: routing ignores case. */
function pathForms(target: string): string[] {
  const raw = target.split("?")[0]!;
  const forms = [raw];
  try {
    forms.push(new URL(target, "http://127.0.0.1").pathname);
  } catch {
    // not a URL at all: the raw form is all there is
  }
  for (const form of [...forms]) {
    try {
      forms.push(decodeURIComponent(form));
    } catch {
      // a lone % : left as it is
    }
  }
  return forms.map((form) => form.toLowerCase().replace(/\/+$/, ""));
}

/** Anything under /api but login and logout needs a principal; OPTIONS is answered by Express with the allowed methods. */
function needsPrincipal(request: FuzzRequest): boolean {
  if (request.spec.method === "OPTIONS") return false;
  const forms = pathForms(request.spec.target);
  if (forms.some((form) => form === "/api/auth/login" || form === "/api/auth/logout")) return false;
  return forms.some((form) => form === "/api" || form.startsWith("/api/"));
}

const isMe = (request: FuzzRequest) => pathForms(request.spec.target).includes("/api/auth/me");

/** body-parser's errors for a bad body (a 4xx each), by their `type`. */
const BODY_ERROR = /^\s+type: '(entity\.[a-z.]+|encoding\.unsupported|charset\.unsupported|request\.aborted|request\.size\.invalid)',?$/m;

/**
 * The stack traces in the demo's output, less those of 4xx errors: a bad body on a route without
 * an error handler of its own, or an undecodable path parameter, which Express's default handler
 * logs in development.
 */
function unexpectedTraces(output: string): string[] {
  return output.split(/\n(?=\S)/).filter((block) => /^\s+at /m.test(block) && !BODY_ERROR.test(block) && !/^\s+status(Code)?: 4\d\d,?$/m.test(block));
}

function describeRequest(request: FuzzRequest): string {
  const { spec } = request;
  const shown = request.bytes.subarray(0, 600).toString("latin1");
  return `${spec.method} ${spec.target.slice(0, 200)} with ${spec.credentials.map((c) => c.label).join(", ") || "no credentials"}, body ${spec.body.framing}:\n${JSON.stringify(shown)}`;
}

/** What must hold for one request's answer, whatever was sent. True for a success that needed a principal. */
function judge(request: FuzzRequest, response: RawResponse, world: FuzzWorld): boolean {
  const fail = (why: string) => {
    throw new Error(`${why}\nrequest: ${describeRequest(request)}\nresponse: ${response.status} ${response.body.subarray(0, 300).toString()}`);
  };
  if (response.status >= 500) fail(`a ${response.status}`);
  const success = response.status >= 200 && response.status < 300;
  if (success && needsPrincipal(request) && request.validFor.size === 0) fail("a success without a real credential");
  if (success && isMe(request) && !request.head && request.spec.method === "GET") {
    // The caller /me names must be one whose real credential was sent.
    let me: { kind?: string; key_id?: string; user?: { id?: string } } = {};
    try {
      me = JSON.parse(response.body.toString());
    } catch {
      fail("/me answered a success that is not JSON");
    }
    const allowed = [...request.validFor].map((who) => world[who]);
    const named = me.kind === "api_key" ? allowed.some((c) => c.keyId === me.key_id) : allowed.some((c) => c.userId === me.user?.id);
    if (!named) fail(`/me named a caller whose credential was not sent: ${JSON.stringify(me)}`);
  }
  return success && needsPrincipal(request);
}

test("a few thousand hostile requests: no 5xx, no crash, and no way in without a real credential", async () => {
  demo = await startDemoOnRedis(redis().url, {
    NODE_ENV: "development", // so Express logs every error that reaches its default handler
    PORTCULLIS_ADMIN_EMAIL: ADMIN.email,
    PORTCULLIS_ADMIN_PASSWORD: ADMIN.password,
  });
  const { baseUrl } = demo;
  const port = Number(new URL(baseUrl).port);
  const admin = await credentialsOf(baseUrl, ADMIN, ["admin"]);
  expect((await call(baseUrl, "POST", "/api/users", { cookie: admin.cookie, body: { ...MEMBER, role: "member" } })).status).toBe(201);
  const member = await credentialsOf(baseUrl, MEMBER, ["read", "write", "predict"]);
  const world: FuzzWorld = { admin, member, adminEmail: ADMIN.email, memberEmail: MEMBER.email, memberPassword: MEMBER.password };

  let sent = 0;
  let admitted = 0; // successes on routes that need a principal: the fuzz reached the guarded handlers
  await fc.assert(
    fc.asyncProperty(fc.array(fuzzRequests(world), { minLength: 1, maxLength: BATCH }), async (specs) => {
      await Promise.all(
        specs.map(async (spec) => {
          const request = render(spec);
          const outcome = await sendRaw(port, request.bytes, { endAfterWrite: !request.owesAnswer, head: request.head });
          sent += 1;
          if (outcome.kind === "response") admitted += Number(judge(request, outcome.response, world));
          else if (request.owesAnswer) throw new Error(`no answer (${outcome.kind}) to a whole request\nrequest: ${describeRequest(request)}`);
        }),
      );
    }),
    { numRuns: 450 },
  );
  expect(sent).toBeGreaterThanOrEqual(1500);
  expect(admitted).toBeGreaterThanOrEqual(20);

  // The server is up, and the admin's credentials, which the fuzz never ended, still work.
  const byCookie = await call(baseUrl, "GET", "/api/auth/me", { cookie: admin.cookie });
  expect(byCookie).toMatchObject({ status: 200, json: { kind: "session", user: { id: admin.userId } } });
  const byKey = await call(baseUrl, "GET", "/api/auth/me", { key: admin.key });
  expect(byKey).toMatchObject({ status: 200, json: { kind: "api_key", key_id: admin.keyId } });
  // Nothing went wrong out of sight: no unhandled rejection, no uncaught exception, no stack trace
  // but those of the 4xx errors Express logs in development.
  expect(demo.output()).not.toMatch(/unhandled|uncaught/i);
  expect(unexpectedTraces(demo.output())).toEqual([]);
}, 120_000);
