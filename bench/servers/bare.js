// @ts-check
// The ceiling: Express alone answering GET /api/projects.
const express = require("express");
const { projects, run, serve, settings } = require("./common");

run("bare", async () => {
  const { port } = settings("bare");
  const app = express();
  app.get("/api/projects", (_req, res) => void res.json(projects));
  serve(app, { port, request: { method: "GET", path: "/api/projects" } });
});
