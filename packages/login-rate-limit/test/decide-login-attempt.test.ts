import { decideLoginAttempt, type LimitReading } from "../src/decide-login-attempt";

const consecutive = (consumed: number, msBeforeReset = 86_400_000): LimitReading => ({
  limit: "consecutiveFailures",
  points: 10,
  windowSeconds: 86_400,
  consumed,
  msBeforeReset,
});
const perIp = (consumed: number, msBeforeReset = 86_400_000): LimitReading => ({
  limit: "perIpPerDay",
  points: 100,
  windowSeconds: 86_400,
  consumed,
  msBeforeReset,
});

describe("decideLoginAttempt", () => {
  test("within both limits: allowed, showing the limit with fewer attempts left", () => {
    expect(decideLoginAttempt([consecutive(3), perIp(50)])).toEqual({
      allowed: true,
      headers: { "RateLimit-Policy": '"10-in-1day"; q=10; w=86400', RateLimit: '"10-in-1day"; r=7; t=86400' },
    });
    expect(decideLoginAttempt([consecutive(1), perIp(95)]).headers.RateLimit).toBe('"100-in-1day"; r=5; t=86400');
  });

  test("the last allowed attempt is the one that reaches the limit exactly", () => {
    const decision = decideLoginAttempt([consecutive(10), perIp(10)]);
    expect(decision.allowed).toBe(true);
    expect(decision.headers.RateLimit).toBe('"10-in-1day"; r=0; t=86400');
  });

  test("the limit with fewer attempts left is shown even when the other resets later", () => {
    const decision = decideLoginAttempt([consecutive(5, 1_000), perIp(10, 80_000_000)]);
    expect(decision.headers.RateLimit).toBe('"10-in-1day"; r=5; t=1');
  });

  test("with as many attempts left on both, the one that resets later is shown", () => {
    const decision = decideLoginAttempt([consecutive(5, 1_000), { ...perIp(95, 5_000), points: 100 }]);
    expect(decision.headers.RateLimit).toBe('"100-in-1day"; r=5; t=5');
  });

  test("over the consecutive-failures limit: refused for the block, and the IP's point is refunded", () => {
    expect(decideLoginAttempt([consecutive(11, 900_000), perIp(12, 80_000_000)])).toEqual({
      allowed: false,
      blocking: "consecutiveFailures",
      retryAfterSeconds: 900,
      refund: ["perIpPerDay"],
      headers: {
        "Retry-After": "900",
        "RateLimit-Policy": '"10-in-1day"; q=10; w=86400',
        RateLimit: '"10-in-1day"; r=0; t=900',
      },
    });
  });

  test("over the per-IP limit: refused for a day, whatever the username's count", () => {
    const decision = decideLoginAttempt([consecutive(1), perIp(101, 86_400_000)]);
    expect(decision).toMatchObject({ allowed: false, blocking: "perIpPerDay", retryAfterSeconds: 86_400, refund: ["consecutiveFailures"] });
  });

  test("over both: the client is told to wait for the block that ends last, and nothing is refunded", () => {
    const decision = decideLoginAttempt([consecutive(15, 600_000), perIp(130, 3_600_000)]);
    expect(decision).toMatchObject({ allowed: false, blocking: "perIpPerDay", retryAfterSeconds: 3_600, refund: [] });
    expect(decideLoginAttempt([consecutive(15, 7_200_000), perIp(130, 3_600_000)])).toMatchObject({ blocking: "consecutiveFailures" });
  });

  test("over both with blocks that end together: the first limit given is the one named, in either order", () => {
    expect(decideLoginAttempt([consecutive(11, 600_000), perIp(101, 600_000)])).toMatchObject({
      blocking: "consecutiveFailures",
      retryAfterSeconds: 600,
      headers: { "RateLimit-Policy": '"10-in-1day"; q=10; w=86400' },
    });
    expect(decideLoginAttempt([perIp(101, 600_000), consecutive(11, 600_000)])).toMatchObject({
      blocking: "perIpPerDay",
      headers: { "RateLimit-Policy": '"100-in-1day"; q=100; w=86400' },
    });
  });

  test("with as many attempts left on both and the same reset, the first limit given is shown", () => {
    const tied = { ...perIp(5, 1_000), points: 10, windowSeconds: 3_600 };
    expect(decideLoginAttempt([consecutive(5, 1_000), tied]).headers["RateLimit-Policy"]).toBe('"10-in-1day"; q=10; w=86400');
    expect(decideLoginAttempt([tied, consecutive(5, 1_000)]).headers["RateLimit-Policy"]).toBe('"10-in-1h"; q=10; w=3600');
  });

  test("a block about to end still asks for at least a second", () => {
    expect(decideLoginAttempt([consecutive(11, 3), perIp(1)])).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
  });

  test("no readings is a programming error", () => {
    expect(() => decideLoginAttempt([])).toThrow(new TypeError("decideLoginAttempt: pass at least one limit reading"));
  });
});
