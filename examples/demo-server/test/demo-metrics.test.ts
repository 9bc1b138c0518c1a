import request from "supertest";
import { MemoryAuditSink, MemoryKeyStore, MemoryUserStore, bcryptPasswords } from "portcullis";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createDemoApp } = require("../app") as typeof import("../app");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isLoopback, startPrometheusMetrics } = require("../metrics") as typeof import("../metrics");

const ADMIN = { email: "admin@example.com", password: "admin-password" };

async function demo(metrics?: ReturnType<typeof startPrometheusMetrics>) {
  const users = new MemoryUserStore({ passwords: bcryptPasswords({ cost: 4 }) });
  const { app } = createDemoApp({
    keyStore: new MemoryKeyStore(),
    users,
    audit: new MemoryAuditSink(),
    secret: "d".repeat(32),
    sessionSecret: "e".repeat(32),
    ...(metrics ? { metrics: metrics.handler } : {}),
  });
  await users.create({ ...ADMIN, role: "admin" });
  return app;
}

/** The samples of a Prometheus text exposition, `name{labels}` to value, without the scope's labels (every sample has the same). */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^(\w+(?:\{[^}]*\})?) (\S+)/.exec(line.replace(/,otel_scope_name="[^"]*",otel_scope_version="[^"]*"/, ""));
    if (match) found.set(match[1]!, Number(match[2]));
  }
  return found;
}

const outcome = (middleware: string, credential: string, result: string) =>
  `portcullis_auth_outcomes_total{portcullis_middleware="${middleware}",portcullis_credential_type="${credential}",portcullis_outcome="${result}"}`;

test("after a walkthrough (a key made, an API call with it, refused calls), /metrics shows the outcome counters in Prometheus's format", async () => {
  const metrics = startPrometheusMetrics();
  try {
    const app = await demo(metrics);
    const admin = request.agent(app);
    await admin.post("/api/auth/login").send(ADMIN).expect(200);
    const { key } = (await admin.post("/api/auth/api-keys").send({ name: "ci", scopes: ["read"] }).expect(201)).body as { key: string };
    await request(app).get("/api/projects").set("Authorization", `Bearer ${key}`).expect(200);
    await request(app).post("/api/projects").set("Authorization", `Bearer ${key}`).send({ name: "x" }).expect(403);
    await request(app).get("/api/projects").set("Authorization", `Bearer ${key.slice(0, -1)}${key.endsWith("x") ? "y" : "x"}`).expect(401); // always another key
    await request(app).get("/api/projects").expect(401);

    const scraped = await request(app).get("/metrics").expect(200);
    expect(scraped.headers["content-type"]).toMatch(/^text\/plain/);
    const values = samples(scraped.text);
    expect(values.get(outcome("authRouter", "password", "success"))).toBe(1);
    expect(values.get(outcome("apiKeyAuth", "api_key", "success"))).toBe(2);
    expect(values.get(outcome("apiKeyAuth", "api_key", "invalid_key"))).toBe(1);
    expect(values.get(outcome("requireScope", "api_key", "success"))).toBe(1);
    expect(values.get(outcome("requireScope", "api_key", "insufficient_permissions"))).toBe(1);
    expect(values.get(outcome("requireScope", "none", "missing_credentials"))).toBe(1);
    expect(values.get(outcome("keyRateLimit", "api_key", "success"))).toBe(2);
    expect(values.get(outcome("sessionAuth", "session", "success"))).toBe(1);
    expect(values.get(outcome("loginRateLimit", "password", "success"))).toBe(1);
    // Verification time (unit s; the exporter does not add it to the name), and the cache: the
    // key's second call was answered from memory.
    expect(values.get('portcullis_key_verification_duration_count{portcullis_outcome="success",portcullis_cache_result="miss"}')).toBe(1);
    expect(values.get('portcullis_key_cache_lookups_total{portcullis_cache_result="hit"}')).toBe(1);
    expect(scraped.text).not.toContain(key);
  } finally {
    await metrics.stop();
  }
});

test("without the metrics handler the demo has no /metrics route", async () => {
  const app = await demo();
  expect((await request(app).get("/metrics").expect(404)).body).toEqual({ error: "not_found", detail: "Not found." });
});

test("/metrics is served to loopback clients only, whatever the headers say", () => {
  for (const address of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) expect(isLoopback(address)).toBe(true);
  for (const address of ["203.0.113.5", "::ffff:10.0.0.1", "2001:db8::1", "::", "localhost", undefined]) expect(isLoopback(address)).toBe(false);
});

test("/metrics is not served to a request a reverse proxy forwarded: behind one on the same host every client connects from loopback", async () => {
  const metrics = startPrometheusMetrics();
  try {
    const app = await demo(metrics);
    await request(app).get("/metrics").expect(200); // a scraper beside the process
    for (const [header, value] of [
      ["X-Forwarded-For", "203.0.113.5"],
      ["Forwarded", "for=203.0.113.5"],
      ["X-Real-IP", "203.0.113.5"],
      ["Via", "1.1 proxy"],
      ["X-Forwarded-Host", "api.example.com"],
    ]) {
      const res = await request(app).get("/metrics").set(header!, value!).expect(404);
      expect(res.body).toEqual({ error: "not_found", detail: "Not found." });
    }
  } finally {
    await metrics.stop();
  }
});
