/**
 * The demo as three processes (node:cluster) on one port over one Redis: a revocation, a login
 * limit and a key's rate limit made through any one process hold in all of them.
 */
import { eventually, startExampleServer, useRedisServer, type ExampleServer } from "@portcullis/testing";
import { request } from "node:http";
import { resolve } from "node:path";
import { RedisKeys } from "@portcullis/redis";

const WORKERS = 3;
const ADMIN = { email: "admin@example.com", password: "demo-password-123" };

const redis = useRedisServer();
let cluster: ExampleServer | undefined;
let admin: Record<string, string>; // the admin's session cookie, good in every worker

beforeAll(async () => {
  cluster = await startExampleServer(resolve(__dirname, "support/cluster-server.js"), "cluster ready", {
    REDIS_URL: redis().url,
    WORKERS: String(WORKERS),
    PORTCULLIS_SECRET: "s".repeat(40),
    SESSION_SECRET: "t".repeat(40),
    PORTCULLIS_ADMIN_EMAIL: ADMIN.email,
    PORTCULLIS_ADMIN_PASSWORD: ADMIN.password,
  });
  const login = await send("POST", "/api/auth/login", { body: ADMIN });
  expect(login.status).toBe(200);
  admin = { Cookie: String(login.headers["set-cookie"]).split(";")[0]! };
}, 30_000);
afterAll(() => cluster?.stop());

interface Answer {
  status: number;
  /** The `X-Worker` header: which process answered. */
  worker: string;
  headers: Record<string, string | string[] | undefined>;
  body: { error?: string; key?: string; key_id?: string } & Record<string, unknown>;
}

/**
 * One request on a connection of its own (no keep-alive), so the cluster's round robin hands
 * each request to the next worker.
 */
function send(method: string, path: string, { headers = {}, body }: { headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const type = payload === undefined ? {} : { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(payload)) };
  return new Promise((done, fail) => {
    const req = request(`${cluster!.baseUrl}${path}`, { method, agent: false, headers: { ...headers, ...type } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => done({ status: res.statusCode!, worker: String(res.headers["x-worker"]), headers: res.headers, body: text.startsWith("{") ? JSON.parse(text) : {} }));
    });
    req.once("error", fail);
    req.end(payload);
  });
}

/** Sends the request until every worker has answered it once; the first answer of each worker. */
async function askEveryWorker(method: string, path: string, options?: Parameters<typeof send>[2]): Promise<Answer[]> {
  const answers = new Map<string, Answer>();
  for (let sent = 0; answers.size < WORKERS; sent++) {
    if (sent === WORKERS * 10) throw new Error(`only workers ${[...answers.keys()]} answered ${sent} requests`);
    const answer = await send(method, path, options);
    if (!answers.has(answer.worker)) answers.set(answer.worker, answer);
  }
  return [...answers.values()];
}

async function createKey(body: Record<string, unknown>): Promise<{ key: string; id: string }> {
  const created = await send("POST", "/api/auth/api-keys", { headers: admin, body });
  expect(created.status).toBe(201);
  return { key: created.body.key!, id: created.body.key_id! };
}

test("a key revoked through one worker is refused by every worker, its cached copy dropped by the pushed change", async () => {
  const { key, id } = await createKey({ name: "revoked-in-one-worker", scopes: ["read"] });
  const bearer = { Authorization: `Bearer ${key}` };
  // The first use starts each worker's change feed, whose first confirmation empties that
  // worker's cache; once all three listen, the next round caches the key in each for an hour.
  expect((await askEveryWorker("GET", "/api/projects", { headers: bearer })).map((a) => a.status)).toEqual([200, 200, 200]);
  const probe = redis().client();
  const keys = new RedisKeys();
  await eventually(async () => ((await probe.pubsub("NUMSUB", keys.keyChanges())) as [string, number])[1] === WORKERS, { timeoutMs: 5000 });
  expect((await askEveryWorker("GET", "/api/projects", { headers: bearer })).map((a) => a.status)).toEqual([200, 200, 200]);

  // A change written to Redis without being announced goes unseen: every worker answers from its
  // cache (a fresh lookup would find no scopes and refuse with 403). So only a push can reach them.
  await probe.hset(keys.apiKeyRecord(id), "scopes", "[]");
  expect((await askEveryWorker("GET", "/api/projects", { headers: bearer })).map((a) => a.status)).toEqual([200, 200, 200]);

  const revoked = await send("DELETE", `/api/auth/api-keys/${id}`, { headers: admin });
  expect(revoked.status).toBe(204);
  await eventually(async () => (await askEveryWorker("GET", "/api/projects", { headers: bearer })).every((a) => a.status === 401), { timeoutMs: 5000 });
  const refusals = await askEveryWorker("GET", "/api/projects", { headers: bearer });
  expect(refusals.map((a) => [a.status, a.body.error])).toEqual(Array(WORKERS).fill([401, "revoked_key"]));
});

test("wrong passwords spread over the workers add up to one login limit, which then blocks the account in every worker", async () => {
  const victim = { email: "victim@example.com", password: "victim-password-123" };
  expect((await send("POST", "/api/users", { headers: admin, body: { ...victim, role: "viewer" } })).status).toBe(201);
  expect((await send("POST", "/api/auth/login", { body: victim })).status).toBe(200);

  // The demo allows 10 failures in a row; round robin gives each worker only three or four of them.
  const failures = [];
  for (let i = 0; i < 10; i++) failures.push(await send("POST", "/api/auth/login", { body: { ...victim, password: `wrong-${i}` } }));
  expect(failures.map((a) => a.status)).toEqual(Array(10).fill(401));
  expect(new Set(failures.map((a) => a.worker)).size).toBe(WORKERS);

  // Even the right password is refused now, by every worker: a worker counting alone would let it in.
  const blocked = await askEveryWorker("POST", "/api/auth/login", { body: victim });
  expect(blocked.map((a) => [a.status, a.body.error])).toEqual(Array(WORKERS).fill([429, "rate_limit_exceeded"]));
});

test("a key's rate limit counts its requests in all workers together", async () => {
  const points = 5;
  const { key } = await createKey({ name: "limited", scopes: ["read"], rate_limit: { points, duration_seconds: 3600 } });
  const bearer = { Authorization: `Bearer ${key}` };

  // Until every worker has refused the key once: a worker counting alone would allow it 5 times.
  const answers: Answer[] = [];
  const refusedBy = new Set<string>();
  while (refusedBy.size < WORKERS) {
    if (answers.length === points + WORKERS * 10) throw new Error(`only workers ${[...refusedBy]} refused after ${answers.length} requests`);
    const answer = await send("GET", "/api/projects", { headers: bearer });
    answers.push(answer);
    if (answer.status === 429) refusedBy.add(answer.worker);
  }
  const statuses = answers.map((a) => a.status);
  expect(statuses.slice(0, points)).toEqual(Array(points).fill(200));
  expect(statuses.slice(points)).toEqual(Array(answers.length - points).fill(429));
  expect(new Set(answers.slice(0, points).map((a) => a.worker)).size).toBeGreaterThan(1);
});

test("stopping the primary stops every worker", async () => {
  const pids = /primary (\d+), workers ([\d,]+)/.exec(cluster!.output())!;
  const all = [pids[1]!, ...pids[2]!.split(",")].map(Number);
  expect(all).toHaveLength(WORKERS + 1);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  expect(all.every(alive)).toBe(true);
  cluster!.stop();
  await eventually(() => !all.some(alive), { timeoutMs: 10_000 });
});
