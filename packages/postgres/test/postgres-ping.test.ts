import express from "express";
import request from "supertest";
import { healthRoutes } from "@portcullis/core";
import { postgresPing } from "@portcullis/postgres";
import { usePostgres } from "@portcullis/testing";

const pg = usePostgres();

test("/readyz answers 200 while PostgreSQL answers, 503 within its time limit while it is down, and 200 again after", async () => {
  const pool = pg().pool();
  const app = express().use(healthRoutes({ checks: { postgres: postgresPing(pool, { timeoutMs: 500 }) }, timeoutMs: 1000 }));
  expect((await request(app).get("/readyz").expect(200)).body).toEqual({ status: "ready", checks: { postgres: "ok" } });

  await pg().kill();
  const down = await request(app).get("/readyz").expect(503);
  expect(down.body.status).toBe("unavailable");
  expect(["failed", "timeout"]).toContain(down.body.checks.postgres);
  await request(app).get("/healthz").expect(200); // the process still serves

  await pg().restart();
  expect((await request(app).get("/readyz").expect(200)).body.checks).toEqual({ postgres: "ok" });
  await pool.end();
});

test("postgresPing refuses what is not a pool, and a time limit out of range", () => {
  expect(() => postgresPing({} as never)).toThrow("postgresPing: pass a node-postgres Pool");
  expect(() => postgresPing(pg().pool(), { timeoutMs: 0 })).toThrow('"timeoutMs" must be a whole number of milliseconds from 1 to 60000');
});
