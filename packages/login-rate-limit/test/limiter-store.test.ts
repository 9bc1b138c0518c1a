import { testLimiterStore } from "@portcullis/testing";
import { attempt, createApp, fail } from "./create-app";

// Any LimiterStore plugs in: here stores of the test's own, as an adapter for another database
// (RateLimiterPostgres, …) would, with no change to loginRateLimit.

test("a store of the host's own counts every attempt, under the two limiters' names and limits", async () => {
  const store = testLimiterStore();
  const { app } = createApp({ limit: { store, consecutiveFailures: { points: 3, blockSeconds: 600 } } });
  expect(store.made).toEqual([
    { name: "login-fails", points: 3, durationSeconds: 86_400, blockSeconds: 600 },
    { name: "login-ip", points: 100, durationSeconds: 86_400, blockSeconds: 86_400 },
  ]);
  expect(await fail(app, 3)).toEqual([401, 401, 401]);
  expect((await attempt(app).expect(429)).headers["retry-after"]).toBe("600");
  expect(store.consumed()).toBe(8); // per IP and per username for each attempt
});

test("a store that never answers: after timeoutMs the memory insurance counts, and still blocks", async () => {
  const { app } = createApp({ limit: { store: testLimiterStore("stall"), timeoutMs: 20, consecutiveFailures: { points: 2 } } });
  expect(await fail(app, 2)).toEqual([401, 401]);
  await attempt(app).expect(429);
  await attempt(app, { username: "bob", password: "right" }).expect(200);
});

test("a store that fails with no insurance of its own: 503 auth_unavailable, never let in", async () => {
  const { app } = createApp({ limit: { store: testLimiterStore("error") } });
  const res = await attempt(app, { username: "bob", password: "right" }).expect(503);
  expect(res.body.error).toBe("auth_unavailable");
  expect(res.headers["retry-after"]).toBe("1");
});
