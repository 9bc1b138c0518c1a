// @ts-check
// Runs the quick start: in memory by default, on Redis when REDIS_URL is set.
const { randomBytes } = require("node:crypto");
const { MemoryKeyStore, MemoryUserStore, RedisKeyStore, RedisUserStore, bcryptPasswords, watchRedisConnection } = require("portcullis");
const { createApp } = require("./app");

const randomSecret = () => randomBytes(32).toString("base64url");

async function main() {
  const port = Number(process.env.PORT ?? 3000);
  const redisUrl = process.env.REDIS_URL;
  if (redisUrl && (!process.env.PORTCULLIS_SECRET || !process.env.SESSION_SECRET)) {
    throw new Error("PORTCULLIS_SECRET and SESSION_SECRET are required with REDIS_URL: keys and cookies made under random secrets would not survive a restart");
  }
  // In memory, keys and sessions die with the process anyway, so random secrets are fine.
  const secret = process.env.PORTCULLIS_SECRET ?? randomSecret();
  const sessionSecret = process.env.SESSION_SECRET ?? randomSecret();
  const passwords = bcryptPasswords();

  let redis;
  let keyStore;
  let users;
  if (redisUrl) {
    const { Redis } = require("ioredis");
    // Fail fast, never queue; send the commands of requests handled together in one write.
    redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true });
    watchRedisConnection(redis); // one warning when Redis goes away and one when it is back, not one per retry
    await new Promise((resolve, reject) => redis.once("ready", resolve).once("error", reject));
    keyStore = new RedisKeyStore(redis);
    users = new RedisUserStore(redis, { passwords });
  } else {
    keyStore = new MemoryKeyStore();
    users = new MemoryUserStore({ passwords });
  }

  const email = process.env.PORTCULLIS_ADMIN_EMAIL ?? "admin@example.com";
  let password = process.env.PORTCULLIS_ADMIN_PASSWORD;
  if (!(await users.findByEmail(email))) {
    const generated = password === undefined;
    password ??= randomSecret().slice(0, 20);
    try {
      await users.create({ email, password, role: "admin" });
      console.log(`Admin user ${email}${generated ? ` with the password (shown once): ${password}` : " created"}`);
    } catch (error) {
      // Another copy of this server, started at the same moment on the same Redis, created it first.
      if (/** @type {{ code?: string }} */ (error)?.code !== "conflict") throw error;
    }
  }

  const { app } = createApp({ keyStore, users, secret, sessionSecret, ...(redis ? { redis } : {}) });
  const server = app.listen(port, "127.0.0.1", () => {
    const address = server.address();
    const actual = typeof address === "object" && address ? address.port : port;
    console.log(`portcullis quick start on http://localhost:${actual}`);
    console.log(`Sign in: curl -X POST http://localhost:${actual}/api/auth/login -H "Content-Type: application/json" -c cookies.txt -d '{"email": "${email}", "password": "…"}'`);
  });
  const stop = () => server.close(() => void keyStore.close().finally(() => process.exit(0)));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
