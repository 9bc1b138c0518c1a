import { startExampleServer, type ExampleServer } from "@portcullis/testing";
import { resolve } from "node:path";

/** The admin the demo seeds when it starts on Redis here. */
export const DEMO_ADMIN = { email: "admin@example.com", password: "demo-password-123" };

/**
 * `node server.js` on the given Redis, with the secrets Redis mode requires and `DEMO_ADMIN`;
 * `env` adds to or overrides them.
 */
export function startDemoOnRedis(redisUrl: string, env: Record<string, string> = {}): Promise<ExampleServer> {
  return startExampleServer(resolve(__dirname, "../../server.js"), "portcullis demo on", {
    REDIS_URL: redisUrl,
    PORTCULLIS_SECRET: "s".repeat(40),
    SESSION_SECRET: "t".repeat(40),
    MFA_ENCRYPTION_KEY: "m".repeat(40),
    PORTCULLIS_ADMIN_EMAIL: DEMO_ADMIN.email,
    PORTCULLIS_ADMIN_PASSWORD: DEMO_ADMIN.password,
    ...env,
  });
}
