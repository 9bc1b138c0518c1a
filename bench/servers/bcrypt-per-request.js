// @ts-check
// What many tutorials write: a key `<id>.<secret>` whose record (a Redis hash) holds
// bcrypt(secret) and the scopes; every request reads the record and runs bcrypt.compare.
const { randomBytes } = require("node:crypto");
const bcrypt = require("bcrypt");
const express = require("express");
const { connectRedis, projects, run, serve, settings } = require("./common");

const COST = 10;

run("bcrypt-per-request", async () => {
  const { port, redisUrl, prefix } = settings("bcrypt-per-request");
  const redis = await connectRedis(redisUrl);
  const id = randomBytes(8).toString("hex");
  const secret = randomBytes(24).toString("base64url");
  await redis.hset(`${prefix}key:${id}`, { hash: await bcrypt.hash(secret, COST), scopes: "read", owner: "alice" });

  /** @type {import("express").RequestHandler} */
  async function bcryptKeyAuth(req, res, next) {
    const [scheme, token = ""] = (req.headers.authorization ?? "").split(" ");
    const dot = token.indexOf(".");
    if (scheme !== "Bearer" || dot < 1) return void res.status(401).json({ error: "missing_credentials" });
    const record = await redis.hgetall(`${prefix}key:${token.slice(0, dot)}`);
    if (!record.hash || !(await bcrypt.compare(token.slice(dot + 1), record.hash))) {
      return void res.status(401).json({ error: "invalid_key" });
    }
    res.locals.scopes = (record.scopes ?? "").split(",");
    next();
  }

  const app = express();
  app.get("/api/projects", bcryptKeyAuth, (_req, res) => {
    if (!res.locals.scopes.includes("read")) return void res.status(403).json({ error: "insufficient_permissions" });
    res.json(projects);
  });
  const authorization = `Bearer ${id}.${secret}`;
  serve(app, { port, redis, request: { method: "GET", path: "/api/projects", headers: { authorization } } });
});
