import express from "express";
import request from "supertest";
import { loginRateLimit } from "@portcullis/login-rate-limit";
import { migrate, PostgresLimiterStore } from "@portcullis/postgres";
import { usePostgres } from "@portcullis/testing";

const pg = usePostgres();

/** A fake login behind loginRateLimit on PostgreSQL: 200 for bob with the password "right", 401 otherwise. */
function createApp(store: PostgresLimiterStore) {
  const app = express();
  app.post("/login", express.json(), loginRateLimit({ store, username: (req) => req.body?.username, ip: () => "10.0.0.1" }), (req, res) => {
    if (req.body?.username === "bob" && req.body?.password === "right") res.json({ ok: true });
    else res.status(401).json({ error: "invalid_credentials" });
  });
  return app;
}

const attempt = (app: express.Express, username = "alice", password = "wrong") => request(app).post("/login").send({ username, password });

async function fail(app: express.Express, times: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) statuses.push((await attempt(app)).status);
  return statuses;
}

test("with PostgreSQL stopped mid-run the memory insurance still enforces the login limit, never a 500; once it is back PostgreSQL counts again", async () => {
  const pool = pg().pool();
  await migrate(pool);
  const app = createApp(new PostgresLimiterStore(pool));
  const failures = async () => (await pool.query(`SELECT points FROM portcullis.rate_limits WHERE key = 'login-fails:["10.0.0.1","alice"]'`)).rows[0]?.points;
  expect(await fail(app, 3)).toEqual([401, 401, 401]);
  expect(await failures()).toBe(3);

  await pg().kill();
  // The insurance starts from zero: its counts are per process and apart from PostgreSQL's.
  expect(await fail(app, 10)).toEqual(Array(10).fill(401));
  const refused = await attempt(app).expect(429);
  expect(refused.body.error).toBe("rate_limit_exceeded");
  expect(refused.headers["retry-after"]).toBe("900");
  await attempt(app, "bob", "right").expect(200); // others still sign in

  await pg().restart();
  // Back on PostgreSQL, where alice had three failures: seven more are allowed, not ten.
  expect(await fail(app, 7)).toEqual(Array(7).fill(401));
  await attempt(app).expect(429);
  expect(await failures()).toBeGreaterThanOrEqual(10);
});
