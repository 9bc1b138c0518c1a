import { formatWindow, policyName, rateLimitHeaders, retryAfterSeconds } from "@portcullis/core/internal";

describe("rateLimitHeaders (IETF RateLimit header fields, draft 8/9)", () => {
  test("an allowed client gets the policy and what is left of it", () => {
    expect(rateLimitHeaders({ points: 5, windowSeconds: 900 }, { remaining: 4, msBeforeReset: 840_000 })).toEqual({
      "RateLimit-Policy": '"5-in-15min"; q=5; w=900',
      RateLimit: '"5-in-15min"; r=4; t=840',
    });
  });

  test("a blocked client gets r=0, and Retry-After equal to t", () => {
    expect(rateLimitHeaders({ points: 10, windowSeconds: 86_400 }, { remaining: 0, msBeforeReset: 899_001, blocked: true })).toEqual({
      "Retry-After": "900",
      "RateLimit-Policy": '"10-in-1day"; q=10; w=86400',
      RateLimit: '"10-in-1day"; r=0; t=900',
    });
  });

  test("remaining never goes below 0 and the reset is rounded up to whole seconds", () => {
    const headers = rateLimitHeaders({ points: 3, windowSeconds: 60 }, { remaining: -2, msBeforeReset: 1 });
    expect(headers.RateLimit).toBe('"3-in-1min"; r=0; t=1');
  });

  test.each([
    [0, 1],
    [-1, 1],
    [1, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [900_000, 900],
  ])("Retry-After for %d ms is %d s: rounded up, at least 1", (ms, seconds) => {
    expect(retryAfterSeconds(ms)).toBe(seconds);
  });

  test.each([
    [30, "30s"],
    [90, "90s"],
    [900, "15min"],
    [3_600, "1h"],
    [7_200, "2h"],
    [86_400, "1day"],
    [172_800, "2day"],
  ])("a %d-second window is named %s", (seconds, name) => {
    expect(formatWindow(seconds)).toBe(name);
  });

  test("the policy name is quota-in-window, as express-rate-limit names it", () => {
    expect(policyName({ points: 100, windowSeconds: 86_400 })).toBe("100-in-1day");
  });
});
