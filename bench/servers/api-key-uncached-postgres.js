// @ts-check
// portcullis's API key with the cache off on PostgreSQL: one indexed lookup by primary key per
// request, on the throwaway server the driver started (DATABASE_URL).
const express = require("express");
const { Pool } = require("pg");
const { ApiKeys, apiKeyAuth, migrate, PostgresKeyStore, scopeGuards } = require("portcullis");
const { projects, randomSecret, run, scopes, serve, settings } = require("./common");

run("api-key-uncached-postgres", async () => {
  const { port } = settings("api-key-uncached-postgres");
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is required (the driver passes the PostgreSQL it started)");
  // As the package README configures a pool; 10 connections, node-postgres's default.
  const pool = new Pool({ connectionString: url, connectionTimeoutMillis: 2000, keepAlive: true });
  pool.on("error", (error) => console.warn(`PostgreSQL: ${error.message}`));
  await migrate(pool);
  const store = new PostgresKeyStore(pool);
  const keys = new ApiKeys({ store, secret: randomSecret(), prefix: "cpx_live.", scopes, cache: false });
  const { key } = await keys.create({ owner: "alice", name: "bench", scopes: ["read"] });
  const close = async () => {
    keys.close();
    await store.close();
    await pool.end();
  };
  const { requireScope } = scopeGuards({ policy: scopes });
  const app = express();
  app.use("/api", apiKeyAuth({ keys }));
  app.get("/api/projects", requireScope("read"), (_req, res) => void res.json(projects));
  serve(app, { port, close, request: { method: "GET", path: "/api/projects", headers: { authorization: `Bearer ${key}` } } });
});
