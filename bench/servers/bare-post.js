// @ts-check
// The baseline of the two login limiters: a JSON body parsed, and the attempt refused with 401.
const express = require("express");
const { loginBody, refuseLogin, run, serve, settings } = require("./common");

run("bare-post", async () => {
  const { port } = settings("bare-post");
  const app = express();
  app.post("/login", express.json(), refuseLogin);
  const request = { method: /** @type {const} */ ("POST"), path: "/login", headers: { "content-type": "application/json" }, body: loginBody };
  serve(app, { port, request });
});
