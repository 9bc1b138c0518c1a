import { startExampleServer, type ExampleServer } from "@portcullis/testing";
import { resolve } from "node:path";

/** The admin the demo seeds when it starts on a store here. */
export const DEMO_ADMIN = { email: "admin@example.com", password: "demo-password-123" };

/** The secrets the demo requires with REDIS_URL or DATABASE_URL. */
export const DEMO_SECRETS = { PORTCULLIS_SECRET: "s".repeat(40), SESSION_SECRET: "t".repeat(40), MFA_ENCRYPTION_KEY: "m".repeat(40) };

/**
 * `node server.js` with `env` (REDIS_URL, DATABASE_URL, or both), the secrets that requires and
 * `DEMO_ADMIN`; `env` may override those too.
 */
export function startDemo(env: Record<string, string>): Promise<ExampleServer> {
  return startExampleServer(resolve(__dirname, "../../server.js"), "portcullis demo on", {
    ...DEMO_SECRETS,
    PORTCULLIS_ADMIN_EMAIL: DEMO_ADMIN.email,
    PORTCULLIS_ADMIN_PASSWORD: DEMO_ADMIN.password,
    ...env,
  });
}

/** `node server.js` on the given Redis: keys, users, sessions, limits and the access log there. */
export function startDemoOnRedis(redisUrl: string, env: Record<string, string> = {}): Promise<ExampleServer> {
  return startDemo({ REDIS_URL: redisUrl, ...env });
}
