import { loginRedisKeys } from "@portcullis/login-rate-limit";
import { limiterPrefixes, loginCounterIds, MAX_KEY_PART_LENGTH } from "../src/login-keys";
import { normalizeUsername } from "../src/username";

describe("normalizeUsername", () => {
  test.each([
    ["Alice", "alice"],
    ["  alice\t\n", "alice"],
    ["ALICE@Example.COM", "alice@example.com"],
    ["ａｌｉｃｅ", "alice"], // full-width letters (NFKC)
    ["\u3000alice\u00a0", "alice"], // ideographic and no-break spaces
    ["e\u0301mile", "émile"], // a combining accent composes
    ["ÉMILE", "émile"],
    ["ﬁnn", "finn"], // the fi ligature
    ["J\ud800rg", "j\ufffdrg"], // a lone surrogate half is U+FFFD, as UTF-8 storage reads it
    ["j\udfffrg", "j\ufffdrg"],
    ["\ud83d\ude00", "\ud83d\ude00"], // a whole pair is kept
  ])("%j counts as %j", (raw, normalized) => {
    expect(normalizeUsername(raw)).toBe(normalized);
  });

  test.each([[undefined], [null], [42], [true], [{ username: "alice" }], [["alice"]], [""], ["   "]])(
    "%j is no username",
    (value) => {
      expect(normalizeUsername(value)).toBeUndefined();
    },
  );

  test("normalising twice changes nothing", () => {
    for (const raw of ["  ÅNGSTRÖM ", "İstanbul", "ẞtraße", "Ǆungla", "x\u0345\u0399", "¨a"]) {
      const once = normalizeUsername(raw);
      expect(normalizeUsername(once)).toBe(once);
    }
  });
});

describe("counter ids and Redis keys", () => {
  test("an attempt is counted under its IP and normalised username, JSON-encoded", () => {
    expect(loginCounterIds("203.0.113.7", " Alice ")).toEqual({
      consecutiveFailures: '["203.0.113.7","alice"]',
      perIpPerDay: '"203.0.113.7"',
    });
  });

  test("a missing username and a missing IP each use one fixed placeholder", () => {
    expect(loginCounterIds("10.0.0.1", undefined).consecutiveFailures).toBe('["10.0.0.1",null]');
    expect(loginCounterIds("10.0.0.1", 42)).toEqual(loginCounterIds("10.0.0.1", { a: 1 }));
    expect(loginCounterIds(undefined, "alice")).toEqual({ consecutiveFailures: '[null,"alice"]', perIpPerDay: "null" });
  });

  test("no IP and username can spell another pair's id", () => {
    const a = loginCounterIds("10.0.0.1", '","x');
    const b = loginCounterIds('10.0.0.1","', "x");
    expect(a.consecutiveFailures).not.toBe(b.consecutiveFailures);
    expect(loginCounterIds("10.0.0.1", "null").consecutiveFailures).not.toBe(loginCounterIds("10.0.0.1", undefined).consecutiveFailures);
  });

  test("a username longer than the cap is hashed after normalisation, so its case variants still share a counter", () => {
    const long = "A".repeat(MAX_KEY_PART_LENGTH + 1);
    const ids = loginCounterIds("10.0.0.1", long);
    expect(ids.consecutiveFailures).toMatch(/^\["10\.0\.0\.1",\["sha256","[0-9a-f]{64}"\]\]$/);
    expect(loginCounterIds("10.0.0.1", ` ${long.toLowerCase()} `)).toEqual(ids);
    expect(loginCounterIds("10.0.0.1", "a".repeat(MAX_KEY_PART_LENGTH)).consecutiveFailures).toContain("a".repeat(MAX_KEY_PART_LENGTH));
  });

  test("a megabyte of username or of IP makes a key of bounded length", () => {
    const huge = "x".repeat(1024 * 1024);
    const keys = loginRedisKeys(huge, huge);
    expect(keys.consecutiveFailures.length).toBeLessThan(200);
    expect(keys.perIpPerDay.length).toBeLessThan(200);
  });

  test("Redis keys are the limiter prefix, a colon and the id", () => {
    expect(limiterPrefixes()).toEqual({ consecutiveFailures: "portcullis:login-fails", perIpPerDay: "portcullis:login-ip" });
    expect(loginRedisKeys("10.0.0.1", "Bob", "app:")).toEqual({
      consecutiveFailures: 'app:login-fails:["10.0.0.1","bob"]',
      perIpPerDay: 'app:login-ip:"10.0.0.1"',
    });
  });
});
