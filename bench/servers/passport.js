// @ts-check
// The usual passport setup for API keys: passport-headerapikey reading `Authorization: Bearer …`,
// no session, its verify callback doing the same Redis lookup as portcullis (ApiKeys with the
// cache off), and the scope checked by hand in the route.
const express = require("express");
const passport = require("passport");
const { HeaderAPIKeyStrategy } = require("passport-headerapikey");
const { connectRedis, projects, readOnlyKey, run, serve, settings } = require("./common");

run("passport", async () => {
  const { port, redisUrl, prefix } = settings("passport");
  const redis = await connectRedis(redisUrl);
  const { keys, authorization, close } = await readOnlyKey(redis, prefix, { cache: false });
  passport.use(
    new HeaderAPIKeyStrategy({ header: "Authorization", prefix: "Bearer " }, false, (key, done) => {
      keys.verify(key).then((verification) => done(null, verification.ok ? verification.record : false), done);
    }),
  );
  const app = express();
  app.use(passport.initialize());
  app.get("/api/projects", passport.authenticate("headerapikey", { session: false }), (req, res) => {
    const record = /** @type {{ user?: import("portcullis").ApiKeyRecord }} */ (/** @type {unknown} */ (req)).user;
    if (!record?.scopes.includes("read")) return void res.status(403).json({ error: "insufficient_permissions" });
    res.json(projects);
  });
  serve(app, { port, redis, close, request: { method: "GET", path: "/api/projects", headers: { authorization } } });
});
