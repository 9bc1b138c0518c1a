import { SpanStatusCode } from "@opentelemetry/api";
import request from "supertest";
import { METRICS } from "@portcullis/core/internal";
import { loginRateLimit } from "@portcullis/login-rate-limit";
import { RedisLimiterStore } from "@portcullis/redis";
import { recordTelemetry, useRedisServer, type RecordedTelemetry } from "@portcullis/testing";
import { createApp, EMAIL, PASSWORD, sessionCookie } from "./create-app";

const redis = useRedisServer();
let telemetry: RecordedTelemetry;
beforeEach(() => {
  telemetry = recordTelemetry();
});
afterEach(() => telemetry.stop());

/** The outcome counts of one middleware, as `credential type/outcome`. */
async function outcomesOf(middleware: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { attributes, value } of await telemetry.points(METRICS.authOutcomes)) {
    if (attributes["portcullis.middleware"] === middleware) {
      counts[`${String(attributes["portcullis.credential.type"])}/${String(attributes["portcullis.outcome"])}`] = value;
    }
  }
  return counts;
}

test("sign-ins, their rate limit and the sessions they open are counted by outcome, and every store call is a span", async () => {
  const client = redis().client();
  const rateLimit = loginRateLimit({ store: new RedisLimiterStore(client), username: (req) => req.body?.email, consecutiveFailures: { points: 2 } });
  const { app, admin } = await createApp({ redis: client, rateLimit });
  const login = (email: string, password: string) => request(app).post("/api/auth/login").send({ email, password });

  await login(EMAIL, "wrong-password").expect(401);
  const signedIn = await login(EMAIL, PASSWORD).expect(200);
  const cookie = sessionCookie(signedIn);
  await request(app).get("/api/projects").set("Cookie", cookie).expect(200);
  await request(app).post("/api/projects").set("Cookie", cookie).set("Sec-Fetch-Site", "cross-site").expect(403);
  await request(app).get("/api/projects").expect(401);
  for (const status of [401, 401, 429]) await login("member@example.com", "wrong").expect(status);

  expect(await outcomesOf("authRouter")).toEqual({ "password/success": 1, "password/invalid_credentials": 3 });
  expect(await outcomesOf("loginRateLimit")).toEqual({ "password/success": 4, "password/rate_limit_exceeded": 1 });
  expect(await outcomesOf("sessionAuth")).toEqual({ "session/success": 1, "session/cross_site_request": 1 });
  expect(await outcomesOf("requireScope")).toEqual({ "session/success": 1, "none/missing_credentials": 1 });

  const names = new Set(telemetry.spans().map((span) => span.name));
  for (const name of ["UserStore.verifyCredentials", "SessionStore.get", "SessionStore.set", "SessionIndex.add", "SessionIndex.list", "LimiterStore.consume"]) {
    expect(names).toContain(name);
  }
  expect(telemetry.spans().filter((span) => span.status.code === SpanStatusCode.ERROR)).toEqual([]);
  expect(await telemetry.total(METRICS.storeErrors)).toBe(0);

  const values = (await telemetry.attributeValues()).join("\n");
  const sessionId = decodeURIComponent(cookie.split("=")[1]!).slice(2).split(".")[0]!;
  for (const secret of [EMAIL, "member@example.com", admin.id, sessionId, "127.0.0.1"]) expect(values).not.toContain(secret);
});

test("a session store that does not answer is a failed SessionStore.get span and a counted timeout; the request gets 503", async () => {
  const client = redis().client();
  // Room for the sign-in on a loaded machine; the stalled get still times out.
  const { app } = await createApp({ redis: client, session: { timeoutMs: 1000 } });
  const cookie = sessionCookie(await request(app).post("/api/auth/login").send({ email: EMAIL, password: PASSWORD }).expect(200));

  redis().stall();
  try {
    await request(app).get("/api/projects").set("Cookie", cookie).expect(503);
  } finally {
    redis().resume();
  }

  expect(await outcomesOf("sessionAuth")).toEqual({ "session/auth_unavailable": 1 });
  const where = { "portcullis.store": "SessionStore", "portcullis.store.operation": "get" };
  expect(await telemetry.total(METRICS.storeErrors, where)).toBe(1);
  const gets = telemetry.spans().filter((span) => span.name === "SessionStore.get");
  expect(gets.at(-1)!.status).toEqual({ code: SpanStatusCode.ERROR, message: "timeout" });
});
