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

test("over any limit: refused with the longest wait, and the counts that passed are to be given back", () => {
  const parent = hour(100);
  expect(decideKeyRateLimit([
    { limit: minute(2), consumed: 3, msBeforeReset: 20_000 },
    { limit: minute(50), consumed: 7, msBeforeReset: 50_000 },
    { limit: parent, consumed: 101, msBeforeReset: 600_000 },
    { limit: minute(50), consumed: 50, msBeforeReset: 5_000 },
  ])).toEqual({ allowed: false, limit: parent, msBeforeNext: 600_000, giveBack: [1, 3] });
});
