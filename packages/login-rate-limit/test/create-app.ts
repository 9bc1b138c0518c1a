import express from "express";
import type { Redis, RedisOptions } from "ioredis";
import request from "supertest";
import type { TestRedisServer } from "@portcullis/testing";
import { loginRateLimit, type LoginRateLimitOptions } from "@portcullis/login-rate-limit";
import { normalizeUsername } from "../src/username";

/** Accounts of the fake login handler; every password but "right" is wrong. */
const ACCOUNTS = new Set(["alice", "bob"]);

export interface TestAppOptions {
  /** Options of loginRateLimit besides `username` and `ip`, which the app sets. */
  readonly limit?: Partial<LoginRateLimitOptions>;
  /** The JSON body parser's size limit. */
  readonly bodyLimit?: string;
}

/**
 * An app with a fake login route behind loginRateLimit: 200 for a known account with the
 * password "right", 401 otherwise. The client IP is taken from `x-test-ip`.
 */
export function createApp(options: TestAppOptions = {}) {
  const limiter = loginRateLimit({
    username: (req) => req.body?.username,
    ip: (req) => req.get("x-test-ip"),
    ...options.limit,
  });
  const app = express();
  app.post("/api/auth/login", express.json({ limit: options.bodyLimit ?? "100kb" }), limiter, (req, res) => {
    const user = normalizeUsername(req.body?.username);
    if (user !== undefined && ACCOUNTS.has(user) && req.body?.password === "right") {
      res.json({ ok: true });
    } else {
      res.status(401).json({ error: "invalid_credentials" });
    }
  });
  return { app, limiter };
}

export interface Attempt {
  readonly username?: unknown;
  readonly password?: string;
  readonly ip?: string;
}

/** One login attempt; wrong password and IP 10.0.0.1 unless told otherwise. */
export function attempt(app: express.Express, { username = "alice", password = "wrong", ip = "10.0.0.1" }: Attempt = {}) {
  return request(app).post("/api/auth/login").set("x-test-ip", ip).send({ username, password });
}

/** `count` wrong attempts one after the other; answers their statuses. */
export async function fail(app: express.Express, count: number, who: Attempt = {}): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await attempt(app, who)).status);
  return statuses;
}

/** A client of the test's redis-server, once it is connected (before that, attempts would be counted by the insurance limiter). */
export async function readyClient(server: TestRedisServer, options: RedisOptions = {}): Promise<Redis> {
  const client = server.client(options);
  if (client.status !== "ready") await new Promise((resolve) => client.once("ready", resolve));
  return client;
}
