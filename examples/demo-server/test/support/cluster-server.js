// @ts-check
// The demo as several processes: a node:cluster primary forks WORKERS workers, each running its own
// demo app on the same PORT over the same Redis (REDIS_URL). Every answer carries `X-Worker`, so a
// test can tell which process answered. The primary prints "cluster ready" once every worker listens,
// and on SIGTERM or SIGINT stops its workers before it exits.
// The module is the cluster object itself; its typings only describe it as a default export.
const cluster = /** @type {import("node:cluster").Cluster} */ (/** @type {unknown} */ (require("node:cluster")));
const express = require("express");
const { Redis } = require("ioredis");
const { RedisAuditSink, RedisKeyStore, RedisLimiterStore, RedisUserStore, bcryptPasswords, redisPing, redisSessionStorage } = require("portcullis");
const { createDemoApp } = require("../../app");

const WORKERS = Number(process.env.WORKERS ?? 3);
const port = Number(process.env.PORT);
const redisUrl = String(process.env.REDIS_URL);
// The lowest cost bcrypt takes: hashes here guard test passwords, and logins stay quick.
const passwords = bcryptPasswords({ cost: 4 });

async function connect() {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  await new Promise((resolve, reject) => redis.once("ready", resolve).once("error", reject));
  return redis;
}

/** Seeds the admin once, before any worker exists, so no two workers race to create it. */
async function runPrimary() {
  const redis = await connect();
  const users = new RedisUserStore(redis, { passwords });
  const email = String(process.env.PORTCULLIS_ADMIN_EMAIL);
  if (!(await users.findByEmail(email))) await users.create({ email, password: String(process.env.PORTCULLIS_ADMIN_PASSWORD), role: "admin" });
  await redis.quit();

  let stopping = false;
  /** @type {number[]} */
  const pids = [];
  cluster.on("listening", (worker) => {
    pids.push(Number(worker.process.pid));
    if (pids.length === WORKERS) console.log(`cluster ready: primary ${process.pid}, workers ${pids.join(",")}`);
  });
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    // A worker that dies on its own would leave the test talking to fewer processes than it thinks.
    console.error(`worker ${worker.id} exited (${signal ?? code}); stopping`);
    stop(1);
  });
  const stop = (code = 0) => {
    stopping = true;
    const left = Object.values(cluster.workers ?? {});
    if (left.length === 0) process.exit(code);
    for (const worker of left) worker?.process.kill("SIGTERM");
  };
  process.once("SIGTERM", () => stop());
  process.once("SIGINT", () => stop());
  for (let i = 0; i < WORKERS; i++) cluster.fork();
}

async function runWorker() {
  const redis = await connect();
  const stores = { keyStore: new RedisKeyStore(redis), users: new RedisUserStore(redis, { passwords }), audit: new RedisAuditSink(redis) };
  const { app: demo } = createDemoApp({
    ...stores,
    secret: String(process.env.PORTCULLIS_SECRET),
    sessionSecret: String(process.env.SESSION_SECRET),
    sessions: redisSessionStorage(redis),
    limiterStore: new RedisLimiterStore(redis),
    checks: { redis: redisPing(redis) },
    // An hour: a verified key then leaves this process's cache only when a change is pushed to it.
    cache: { ttlMs: 3_600_000 },
  });
  const app = express();
  app.disable("x-powered-by");
  app.use((_req, res, next) => {
    res.set("X-Worker", String(cluster.worker?.id));
    next();
  });
  app.use(demo);
  const server = app.listen(port, "127.0.0.1");
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void Promise.allSettled([stores.keyStore.close(), stores.audit.close()]).finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

(cluster.isPrimary ? runPrimary() : runWorker()).catch((error) => {
  console.error(error);
  process.exit(1);
});
