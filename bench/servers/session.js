// @ts-check
// A cookie session on Redis (one GET per request), then the "read" scope guard. The server signs
// its one user in itself and hands the driver the cookie to send.
const express = require("express");
const { RedisUserStore, authRouter, bcryptPasswords, redisSessionStorage, scopeGuards, sessionAuth } = require("portcullis");
const { connectRedis, projects, randomSecret, run, scopes, serve, settings } = require("./common");

run("session", async () => {
  const { port, redisUrl, prefix } = settings("session");
  const redis = await connectRedis(redisUrl);
  // Cost 4: the one login happens before the measured requests, and cost 12 takes minutes under
  // valgrind (bench:instructions).
  const users = new RedisUserStore(redis, { passwords: bcryptPasswords({ cost: 4 }), prefix });
  const credentials = { email: "member@example.com", password: randomSecret() };
  await users.create({ ...credentials, role: "member" });
  const { requireScope } = scopeGuards({ policy: scopes });

  const app = express();
  app.use("/api", sessionAuth({ secret: randomSecret(), roles: { member: ["read"] }, sessions: redisSessionStorage(redis, { prefix }) }));
  app.use("/api/auth", authRouter({ users }));
  app.get("/api/projects", requireScope("read"), (_req, res) => void res.json(projects));

  /** @param {string} origin */
  const login = async (origin) => {
    const response = await fetch(`${origin}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(credentials),
    });
    if (response.status !== 200) throw new Error(`login answered ${response.status}: ${await response.text()}`);
    // "name=value; Path=/; HttpOnly; …": a Cookie header sends back only name=value.
    const cookie = response.headers.getSetCookie().map((line) => line.split(";")[0]).join("; ");
    if (!cookie) throw new Error("login set no cookie");
    return { cookie };
  };
  serve(app, { port, redis, prepare: login, request: { method: "GET", path: "/api/projects" } });
});
