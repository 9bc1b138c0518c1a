import { decideKeyRateLimit } from "../src/decide-key-rate-limit";

const minute = (points: number) => ({ points, durationSeconds: 60 });
const hour = (points: number) => ({ points, durationSeconds: 3600 });

test("within every limit: allowed, and the headers get the count with the fewest left (the nearest on a tie)", () => {
  const own = minute(10);
  expect(decideKeyRateLimit([
    { limit: own, consumed: 8, msBeforeReset: 30_000 },
    { limit: hour(100), consumed: 98, msBeforeReset: 900_000 },
    { limit: minute(5), consumed: 3, msBeforeReset: 10_000 },
  ])).toEqual({ allowed: true, limit: own, remaining: 2, msBeforeReset: 30_000 });
});

test("the count with the fewest left is shown wherever it is listed, and one used up exactly is still allowed", () => {
  const parent = hour(100);
  expect(decideKeyRateLimit([
    { limit: minute(10), consumed: 2, msBeforeReset: 30_000 },
    { limit: parent, consumed: 100, msBeforeReset: 900_000 },
  ])).toEqual({ allowed: true, limit: parent, remaining: 0, msBeforeReset: 900_000 });
});

test("over any limit: refused with the longest wait, keeping a point only on the nearest count that refused", () => {
  const parent = hour(100);
  expect(decideKeyRateLimit([
    { limit: minute(2), consumed: 3, msBeforeReset: 20_000 },
    { limit: minute(50), consumed: 7, msBeforeReset: 50_000 },
    { limit: parent, consumed: 101, msBeforeReset: 600_000 },
    { limit: minute(50), consumed: 50, msBeforeReset: 5_000 },
  ])).toEqual({ allowed: false, limit: parent, msBeforeNext: 600_000, giveBack: [1, 2, 3] });
});

test("a key over its own limit while its maker is over too (requests in flight together) gives every maker its point back", () => {
  const own = minute(1);
  expect(decideKeyRateLimit([
    { limit: own, consumed: 2, msBeforeReset: 30_000 },
    { limit: minute(20), consumed: 21, msBeforeReset: 30_000 },
  ])).toEqual({ allowed: false, limit: own, msBeforeNext: 30_000, giveBack: [1] });
});

test("no counts is a programming error, said as such", () => {
  expect(() => decideKeyRateLimit([])).toThrow(new RangeError("decideKeyRateLimit: no counts to decide on"));
});
