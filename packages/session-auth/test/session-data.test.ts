import { EXPIRED_SESSION_RETENTION_MS, sessionDeadline, sessionForgetAt, sessionTtlSeconds, type PortcullisSessionData } from "../src/session-data";

const MINUTE = 60_000;
const timeouts = { idleTimeoutMs: 30 * MINUTE, absoluteTimeoutMs: 8 * 60 * MINUTE };
const session = (createdAt: number, lastSeenAt: number): PortcullisSessionData => ({
  handle: "h",
  userId: "u1",
  role: "member",
  createdAt,
  authenticatedAt: createdAt,
  lastSeenAt,
  ip: "127.0.0.1",
  userAgent: "test",
});

describe("session deadlines", () => {
  test("a session ends at its idle deadline, or at its absolute one when that comes first", () => {
    expect(sessionDeadline(session(0, 60 * MINUTE), timeouts)).toBe(90 * MINUTE);
    expect(sessionDeadline(session(0, 470 * MINUTE), timeouts)).toBe(480 * MINUTE);
  });

  test("the store may forget a session an hour after its absolute end, however it was used", () => {
    expect(EXPIRED_SESSION_RETENTION_MS).toBe(60 * MINUTE);
    expect(sessionForgetAt(session(1_000, 5_000), timeouts)).toBe(1_000 + 480 * MINUTE + 60 * MINUTE);
  });

  test("the store's TTL runs to the deadline plus the retention, in whole seconds rounded up", () => {
    expect(sessionTtlSeconds(session(0, 0), timeouts, 10 * MINUTE)).toBe((20 + 60) * 60);
    expect(sessionTtlSeconds(session(0, 0), timeouts, 10 * MINUTE + 500)).toBe((20 + 60) * 60); // 4799.5 s
  });

  test("a session with no portcullis data yet is kept for one idle timeout plus the retention", () => {
    expect(sessionTtlSeconds(undefined, timeouts, 5 * MINUTE)).toBe((30 + 60) * 60);
  });

  test("a session long past its deadline still gets a TTL of one second, never zero or less", () => {
    expect(sessionTtlSeconds(session(0, 0), timeouts, 1000 * MINUTE)).toBe(1);
  });
});
