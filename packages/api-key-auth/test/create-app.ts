import express from "express";
import { ApiKeys, MemoryKeyStore, ScopePolicy, type KeyStore } from "@portcullis/core";
import { apiKeyAuth, type ApiKeyAuthOptions } from "@portcullis/api-key-auth";

export const SECRET = "test-secret-that-is-at-least-32-bytes-long";

export interface TestClock {
  now: number;
  advance(ms: number): void;
}

export function testClock(start = Date.UTC(2026, 0, 1)): TestClock {
  const clock = { now: start, advance: (ms: number) => void (clock.now += ms) };
  return clock;
}

/** An app with one route behind apiKeyAuth that echoes the principal. */
export function createApp(
  options: { store?: KeyStore; clock?: TestClock; auth?: Omit<ApiKeyAuthOptions, "keys">; prefix?: string; timeoutMs?: number } = {},
) {
  const clock = options.clock ?? testClock();
  const keys = new ApiKeys({
    store: options.store ?? new MemoryKeyStore(),
    secret: SECRET,
    prefix: options.prefix ?? "cpx_live.",
    scopes: new ScopePolicy({ implies: { admin: "*" } }),
    now: () => clock.now,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const app = express();
  app.get("/whoami", apiKeyAuth({ keys, ...options.auth }), (req, res) => {
    res.json({ auth: req.auth ?? null });
  });
  return { app, keys, clock };
}
