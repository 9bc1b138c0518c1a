import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { TestRedisServer } from "@portcullis/testing";
import { exchange, statusLabel, type Exchange, type RequestSpec } from "./soak-http";
import type { SoakUser } from "./soak-sessions";

/** The channel RedisKeyStore announces key changes on, under the demo's default prefix. */
const KEY_CHANGES_CHANNEL = "portcullis:key-changes";

/** A setup request that must be answered with `expected`, or the soak cannot start. */
async function must(origin: string, spec: RequestSpec, expected: number, what: string): Promise<Exchange> {
  const answer = await exchange(origin, 0, spec);
  if (answer.status !== expected) throw new Error(`setup: ${what} answered ${statusLabel(answer)}, expected ${expected}`);
  return answer;
}

/** Signs the admin in; its session cookie. */
export async function signIn(origin: string, email: string, password: string): Promise<string> {
  const answer = await must(origin, { method: "POST", path: "/api/auth/login", json: { email, password } }, 200, `login as ${email}`);
  const cookie = answer.cookies[0];
  if (!cookie) throw new Error(`setup: login as ${email} set no cookie`);
  return cookie;
}

/** Members (read, write, predict) made through POST /api/users by the admin. */
export async function createMembers(origin: string, adminCookie: string, count: number): Promise<SoakUser[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const email = `soak-${i}@example.com`;
      const password = randomBytes(18).toString("base64url");
      const answer = await must(
        origin,
        { method: "POST", path: "/api/users", headers: { cookie: adminCookie }, json: { email, password, role: "member" } },
        201,
        `creating ${email}`,
      );
      return { id: (answer.body as { id: string }).id, email, password };
    }),
  );
}

/**
 * Each process opens its key-change subscription at its first key check; a revocation published
 * before a process listens is never heard (its cache then trusts the key for the TTL). So before
 * the run: a key is used on every process, and the soak waits until every one subscribes.
 */
export async function untilKeyWatchesListen(redis: TestRedisServer, origins: readonly string[], adminCookie: string): Promise<void> {
  const created = await must(
    origins[0]!,
    { method: "POST", path: "/api/auth/api-keys", headers: { cookie: adminCookie }, json: { name: "soak warm-up", scopes: ["read"] } },
    201,
    "creating the warm-up key",
  );
  const key = (created.body as { key: string }).key;
  for (const origin of origins) {
    await must(origin, { path: "/api/projects", headers: { authorization: `Bearer ${key}` } }, 200, `the warm-up key on ${origin}`);
  }
  const probe = redis.client();
  try {
    for (let attempt = 0; ; attempt++) {
      const [, subscribers] = (await probe.pubsub("NUMSUB", KEY_CHANGES_CHANNEL)) as [string, number];
      if (subscribers >= origins.length) break;
      if (attempt === 100) throw new Error(`setup: ${subscribers} of ${origins.length} processes subscribed to ${KEY_CHANGES_CHANNEL}`);
      await sleep(20);
    }
  } finally {
    probe.disconnect();
  }
  await sleep(200); // each subscriber clears its cache once its subscription is confirmed
}
