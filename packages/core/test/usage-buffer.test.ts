import { type KeyUse, UsageBuffer } from "@portcullis/core/internal";
import { settle, track } from "./support/settled";

const DAY = 86_400_000;
const T0 = Date.parse("2026-03-01T12:00:00Z");

/** A write the test finishes: `succeed()`, or `fail()`, which hands back what it was given first. */
interface Write {
  readonly uses: KeyUse[];
  succeed(): void;
  fail(): void;
}

/** A buffer whose writer waits on the test, and a note of how each flush settled. */
function setup() {
  const writes: Write[] = [];
  const buffer = new UsageBuffer(
    (uses, unwritten) =>
      new Promise<void>((resolve, reject) => {
        const copies = uses.map((use) => ({ ...use, days: new Map(use.days) }));
        writes.push({
          uses: copies,
          succeed: resolve,
          fail: () => {
            for (const use of uses) unwritten(use);
            reject(new Error("store down"));
          },
        });
      }),
    60_000,
  );
  const flush = () => track(buffer.flush());
  return { buffer, writes, flush };
}

const key = (id: string) => ({ id, owner: `owner-${id}` });

describe("UsageBuffer", () => {
  afterEach(() => jest.useRealTimers());

  it("merges a key's uses into one count, its latest time and its daily counts", async () => {
    const { buffer, writes, flush } = setup();
    buffer.record(key("a"), T0);
    buffer.record(key("a"), T0 - 5);
    buffer.record(key("a"), T0 + DAY);
    buffer.record(key("b"), T0);

    const flushed = flush();
    await settle();
    expect(writes).toHaveLength(1);
    expect(writes[0]!.uses).toEqual([
      { id: "a", owner: "owner-a", count: 3, last: T0 + DAY, days: new Map([["2026-03-01", 2], ["2026-03-02", 1]]) },
      { id: "b", owner: "owner-b", count: 1, last: T0, days: new Map([["2026-03-01", 1]]) },
    ]);
    writes[0]!.succeed();
    await settle();
    expect(flushed.settled).toBe("resolved");
    await buffer.close(); // nothing recorded since: no write
    expect(writes).toHaveLength(1);
  });

  it("resolves a flush only once what was recorded before it is written, however many flushes wait", async () => {
    const { buffer, writes, flush } = setup();
    buffer.record(key("a"), T0);
    const first = flush();
    await settle();
    buffer.record(key("b"), T0); // while the first write runs
    const second = flush();
    const third = flush();
    await settle();
    expect([first.settled, second.settled, third.settled]).toEqual(["pending", "pending", "pending"]);

    writes[0]!.succeed();
    await settle();
    expect(first.settled).toBe("resolved");
    // One of the waiting flushes took b; the other must wait for that write, not find the buffer empty and return.
    expect(writes.map((write) => write.uses.map((use) => use.id))).toEqual([["a"], ["b"]]);
    expect([second.settled, third.settled]).toEqual(["pending", "pending"]);

    writes[1]!.succeed();
    await settle();
    expect([second.settled, third.settled]).toEqual(["resolved", "resolved"]);
    expect(writes).toHaveLength(2);
  });

  it("puts back what a failed write did not write, merged with uses recorded since, for the next flush", async () => {
    const { buffer, writes, flush } = setup();
    buffer.record(key("a"), T0);
    buffer.record(key("a"), T0);
    const first = flush();
    await settle();
    buffer.record(key("a"), T0 + DAY);
    const second = flush(); // waits for the first: its uses may come back

    writes[0]!.fail();
    await settle();
    expect(first.settled).toBe("rejected");
    expect(second.settled).toBe("pending");
    expect(writes[1]!.uses).toEqual([{ id: "a", owner: "owner-a", count: 3, last: T0 + DAY, days: new Map([["2026-03-02", 1], ["2026-03-01", 2]]) }]);

    writes[1]!.fail();
    await settle();
    expect(second.settled).toBe("rejected");
    const third = flush();
    await settle();
    expect(writes[2]!.uses[0]!.count).toBe(3);
    writes[2]!.succeed();
    await settle();
    expect(third.settled).toBe("resolved");
  });

  it("writes on an interval from the first use, until closed", async () => {
    jest.useFakeTimers({ doNotFake: ["setImmediate"] });
    const writes: KeyUse[][] = [];
    const buffer = new UsageBuffer(async (uses) => void writes.push([...uses]), 1000);
    jest.advanceTimersByTime(5000);
    expect(jest.getTimerCount()).toBe(0); // no use, no timer

    buffer.record(key("a"), T0);
    jest.advanceTimersByTime(999);
    expect(writes).toHaveLength(0);
    jest.advanceTimersByTime(1);
    await settle();
    expect(writes).toHaveLength(1);

    buffer.record(key("b"), T0);
    await buffer.close();
    expect(writes.map((batch) => batch.map((use) => use.id))).toEqual([["a"], ["b"]]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
