// @ts-check
// express-session on connect-redis alone, with the signed-in check written by hand: the stack
// sessionAuth is built on, without sessionAuth. The session row's cost beyond this one is
// portcullis's own work.
const express = require("express");
const session = require("express-session");
const { RedisStore } = require("connect-redis");
const { connectRedis, projects, randomSecret, run, serve, settings } = require("./common");

run("express-session-redis", async () => {
  const { port, redisUrl, prefix } = settings("express-session-redis");
  const redis = await connectRedis(redisUrl);
  const app = express();
  app.use(
    session({
      name: "portcullis.sid",
      secret: randomSecret(),
      store: new RedisStore({ client: redis, prefix: `${prefix}sess:`, disableTouch: true }),
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: "lax", maxAge: 8 * 3600_000 },
    }),
  );
  // The bench signs itself in: no password here, only the session write a login ends with.
  app.post("/login", (req, res) => {
    /** @type {any} */ (req.session).userId = "u1";
    res.status(204).end();
  });
  app.get("/api/projects", (req, res) => {
    if (/** @type {any} */ (req.session).userId === undefined) return void res.status(401).json({ error: "missing_credentials" });
    res.json(projects);
  });

  /** @param {string} origin */
  const login = async (origin) => {
    const response = await fetch(`${origin}/login`, { method: "POST" });
    if (response.status !== 204) throw new Error(`login answered ${response.status}`);
    const cookie = response.headers.getSetCookie().map((line) => line.split(";")[0]).join("; ");
    if (!cookie) throw new Error("login set no cookie");
    return { cookie };
  };
  serve(app, { port, redis, prepare: login, request: { method: "GET", path: "/api/projects" } });
});
