import express, { type RequestHandler } from "express";
import { ApiKeys, MemoryKeyStore, MemoryUserStore, ScopePolicy } from "@portcullis/core";
import { apiKeyAuth } from "@portcullis/api-key-auth";
import { requireRecentAuth, requireScope } from "@portcullis/require-scope";
import { redisSessionStorage, RedisUserStore, type RedisClient } from "@portcullis/redis";
import { authRouter, bcryptPasswords, sessionAuth, type SecondFactor, type SessionAuthOptions } from "@portcullis/session-auth";

export const EMAIL = "you@example.com";
export const PASSWORD = "your-password"; // the CorePlexML page's own example credentials

/**
 * A CorePlexML-shaped app: API keys or a session cookie on /api, login under /api/auth with the
 * given second factor, and guarded resources. The clock is the test's, and sessionAuth's.
 */
export async function createApp(
  options: {
    redis?: RedisClient;
    session?: Partial<SessionAuthOptions>;
    rateLimit?: RequestHandler;
    /** Users on Redis (the same client) instead of in memory. */
    redisUsers?: boolean;
    mfa?: SecondFactor;
  } = {},
) {
  const clock = { now: Date.UTC(2026, 0, 1), advance: (ms: number) => void (clock.now += ms) };
  const now = () => clock.now;
  const passwords = bcryptPasswords({ cost: 4 });
  const users =
    options.redisUsers && options.redis
      ? new RedisUserStore(options.redis, { passwords, now, prefix: `users-${Math.random().toString(36).slice(2)}:` })
      : new MemoryUserStore({ passwords, now });
  const admin = await users.create({ email: EMAIL, password: PASSWORD, role: "admin" });
  const policy = new ScopePolicy({ known: ["read", "write", "predict", "admin"], implies: { admin: "*" } });
  const keys = new ApiKeys({ store: new MemoryKeyStore(), secret: "s".repeat(40), prefix: "cpx_live.", scopes: policy, now });

  const app = express();
  app.use(
    "/api",
    apiKeyAuth({ keys, optional: true }),
    sessionAuth({
      secret: "session-secret-of-at-least-32-bytes!!",
      roles: { admin: ["admin"], member: ["read", "predict"] },
      now,
      users,
      ...(options.redis ? { sessions: redisSessionStorage(options.redis) } : {}),
      ...options.session,
    }),
  );
  app.use("/api/auth", authRouter({ users, ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}), ...(options.mfa ? { mfa: options.mfa } : {}) }));
  app.get("/api/projects", requireScope("read", { policy }), (_req, res) => void res.json([{ id: "p1" }]));
  app.post("/api/account/danger", requireRecentAuth({ maxAgeMs: 5 * 60_000, now }), (_req, res) => void res.json({ done: true }));
  app.post("/api/account/critical", requireRecentAuth({ maxAgeMs: 5 * 60_000, secondFactor: true, now }), (_req, res) => void res.json({ done: true }));
  return { app, keys, users, clock, admin };
}

/** The session cookie's `name=value` from a response, as curl's cookie jar would keep it. */
export function sessionCookie(res: { headers: Record<string, unknown> }): string {
  const cookies = (res.headers["set-cookie"] ?? []) as string[];
  const cookie = cookies.find((c) => c.startsWith("portcullis.sid=") || c.startsWith("__Host-portcullis="));
  if (!cookie) throw new Error(`no session cookie in ${JSON.stringify(cookies)}`);
  return cookie.split(";")[0]!;
}
