// @ts-check
// Runs the quick start: in memory by default, on Redis when REDIS_URL is set.
const { randomBytes } = require("node:crypto");
const { MemoryKeyStore, RedisKeyStore } = require("portcullis");
const { createApp } = require("./app");

async function main() {
  const port = Number(process.env.PORT ?? 3000);
  const redisUrl = process.env.REDIS_URL;
  let secret = process.env.PORTCULLIS_SECRET;
  if (!secret) {
    if (redisUrl) throw new Error("PORTCULLIS_SECRET is required with REDIS_URL: keys hashed under a random secret would not survive a restart");
    secret = randomBytes(32).toString("base64url"); // in memory, keys die with the process anyway
  }
  let store;
  if (redisUrl) {
    const { Redis } = require("ioredis");
    store = new RedisKeyStore(new Redis(redisUrl, { maxRetriesPerRequest: 1 }));
  } else {
    store = new MemoryKeyStore();
  }
  const { app, keys } = createApp({ store, secret });
  const server = app.listen(port, () => console.log(`portcullis quick start on http://localhost:${port}`));

  if (!redisUrl) {
    const { key } = await keys.create({ owner: "admin", name: "bootstrap", scopes: ["admin"] });
    console.log(`An admin key, shown once:\n\n  ${key}\n`);
    console.log(`Try: curl http://localhost:${port}/api/projects -H "Authorization: Bearer ${key}"`);
  } else {
    console.log("Create the first admin key with: npx portcullis keys create --owner admin --name bootstrap --scopes admin");
  }
  const stop = () => server.close(() => void store.close().finally(() => process.exit(0)));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
