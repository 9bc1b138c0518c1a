// @ts-check
// What every benchmark server shares: its settings from the environment, the Redis client, the
// response bodies, the CorePlexML scopes, a read-only key, and the ready line and shutdown the
// driver relies on.
const { randomBytes } = require("node:crypto");
const { Redis } = require("ioredis");
const { ApiKeys, RedisKeyStore, ScopePolicy } = require("portcullis");

/** The CorePlexML scopes, as in examples/quickstart: admin grants everything. */
const scopes = new ScopePolicy({ known: ["read", "write", "predict", "admin"], implies: { admin: "*" } });

/** GET /api/projects: three small objects, the body every auth variant answers with. */
const projects = [
  { id: "p1", name: "Churn model", owner: "alice" },
  { id: "p2", name: "Fraud scoring", owner: "alice" },
  { id: "p3", name: "Demand forecast", owner: "bob" },
];

/**
 * GET /api/models: 100 models. `training_data` is kept short so that removing it from every item
 * is well under half of the body, where redactResponse would refuse the request instead.
 */
const models = {
  items: Array.from({ length: 100 }, (_, i) => ({
    id: `mdl_${i}`,
    name: `model ${i}`,
    framework: i % 2 === 0 ? "pytorch" : "xgboost",
    accuracy: (900 - i) / 1000,
    created_at: "2025-01-01T00:00:00Z",
    training_data: `s3://data/set-${i}.csv`,
  })),
};

/** The body every POST /login variant is sent: a wrong password, so the limiters count each attempt. */
const loginBody = JSON.stringify({ username: "alice", password: "not-her-password" });

/**
 * The handler behind the POST /login variants: the attempt fails, as a wrong password would.
 * @param {import("express").Request} _req @param {import("express").Response} res
 */
function refuseLogin(_req, res) {
  res.status(401).json({ error: "invalid_credentials" });
}

const randomSecret = () => randomBytes(32).toString("base64url");

/**
 * The server's settings. PORT 0 picks a free port (the ready line reports it); the Redis prefix
 * defaults to one per variant, so servers sharing a Redis never read each other's keys.
 *
 * @param {string} variant
 */
function settings(variant) {
  return {
    port: Number(process.env.PORT ?? 0),
    redisUrl: process.env.REDIS_URL,
    prefix: process.env.REDIS_PREFIX ?? `bench:${variant}:`,
  };
}

/**
 * An ioredis client, connected: commands fail fast rather than queue, and those of requests
 * handled together go in one write (auto-pipelining), as the examples and the README configure it.
 * @param {string | undefined} url
 */
async function connectRedis(url) {
  if (!url) throw new Error("REDIS_URL is required (the driver passes the redis-server it started)");
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true });
  await new Promise((resolve, reject) => redis.once("ready", resolve).once("error", reject));
  return redis;
}

/**
 * An ApiKeys service on Redis and one key holding only "read", sent as a Bearer token.
 *
 * @param {import("ioredis").Redis} redis
 * @param {string} prefix
 * @param {{ cache?: false }} [options] `{ cache: false }` verifies every request against Redis
 */
async function readOnlyKey(redis, prefix, options = {}) {
  const store = new RedisKeyStore(redis, { prefix });
  const keys = new ApiKeys({ store, secret: randomSecret(), prefix: "cpx_live.", scopes, ...options });
  const { key } = await keys.create({ owner: "alice", name: "bench", scopes: ["read"] });
  /** Stops the cache's change feed and writes the usage the store still buffers. */
  const close = async () => {
    keys.close();
    await store.close();
  };
  return { keys, key, close, authorization: `Bearer ${key}` };
}

/**
 * Listens on 127.0.0.1, prints the ready line telling the driver which request to send, and
 * stops cleanly on SIGTERM or SIGINT (and, when the driver asks with EXIT_WITH_STDIN=1, when
 * its stdin closes, so a driver that dies leaves no server behind).
 *
 * @param {import("express").Express} app
 * @param {{
 *   port: number,
 *   redis?: import("ioredis").Redis,
 *   request: { method: "GET" | "POST", path: string, headers?: Record<string, string>, body?: string },
 *   close?: () => Promise<void>,
 *   prepare?: (origin: string) => Promise<Record<string, string>>,
 * }} options `prepare` runs once listening and returns headers to add to the request (a login's cookie)
 */
function serve(app, { port, redis, request, close, prepare }) {
  const server = app.listen(port, "127.0.0.1");
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    Promise.resolve(close?.())
      .then(() => redis?.quit())
      .then(
        () => process.exit(0),
        (error) => fail("stopping failed:", error),
      );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  if (process.env.EXIT_WITH_STDIN === "1") {
    process.stdin.on("close", stop).on("end", stop).resume();
  }
  server.once("error", (error) => fail("listening failed:", error));
  server.once("listening", () => {
    const address = server.address();
    const actual = typeof address === "object" && address ? address.port : port;
    Promise.resolve(prepare?.(`http://127.0.0.1:${actual}`))
      .then((extra) => {
        const headers = { ...request.headers, ...extra };
        console.log(JSON.stringify({ ready: true, port: actual, request: { ...request, headers } }));
      })
      .catch((error) => fail("preparing the request failed:", error));
  });
}

/**
 * Runs a server's setup, and on a failure says why on stderr and exits with 1, so the driver
 * reports it instead of waiting for a ready line that never comes.
 *
 * @param {string} variant
 * @param {() => Promise<void>} main
 */
function run(variant, main) {
  main().catch((error) => fail(`${variant}: setup failed:`, error));
}

/** @param {unknown[]} what */
function fail(...what) {
  console.error(...what);
  process.exit(1);
}

module.exports = { scopes, projects, models, loginBody, refuseLogin, randomSecret, settings, connectRedis, readOnlyKey, serve, run };
