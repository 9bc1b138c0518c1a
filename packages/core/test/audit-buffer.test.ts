import { AuditBuffer, type AuditBufferOptions } from "@portcullis/core/internal";
import { settle, track } from "./support/settled";

/** A write the test finishes, with the events it was given (owners' first). */
interface Write {
  readonly events: string[];
  succeed(): void;
  fail(): void;
}

/** A buffer of event names, whose writer waits on the test, and a note of how each flush settled. */
function setup(options: Partial<AuditBufferOptions> = {}) {
  const writes: Write[] = [];
  const buffer = new AuditBuffer<string>(
    (owned, unowned) =>
      new Promise<void>((resolve, reject) => {
        writes.push({ events: [...owned, ...unowned], succeed: resolve, fail: () => reject(new Error("store down")) });
      }),
    { flushIntervalMs: 60_000, maxBuffered: 10_000, ...options },
  );
  const flush = () => track(buffer.flush());
  const add = (...names: string[]) => {
    for (const name of names) buffer.add(name, !name.startsWith("junk"));
  };
  return { buffer, writes, flush, add };
}

const names = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

describe("AuditBuffer", () => {
  afterEach(() => jest.useRealTimers());

  it("writes at once when 100 events wait, 500 at most per write, owners' events first", async () => {
    const { buffer, writes, flush, add } = setup();
    add("junk0", ...names("e", 98));
    expect(writes).toHaveLength(0);
    add("e98");
    expect(writes.map((write) => write.events.length)).toEqual([100]);
    expect(writes[0]!.events.at(-1)).toBe("junk0");
    writes[0]!.succeed();
    await settle();

    add(...names("f", 600), "junk1");
    const flushed = flush();
    await settle();
    writes[1]!.succeed(); // the write the 100th event started
    await settle();
    writes[2]!.succeed();
    await settle();
    expect(writes.slice(1).map((write) => write.events.length)).toEqual([100, 500, 1]);
    expect(writes[3]!.events).toEqual(["junk1"]);
    writes[3]!.succeed();
    await settle();
    expect(flushed.settled).toBe("resolved");
    expect(buffer.pending).toBe(0);
  });

  it("resolves a flush once what was added before it is written; what is added meanwhile does not keep it going", async () => {
    const { buffer, writes, flush, add } = setup();
    add("a");
    const first = flush();
    await settle();
    add("b"); // while a is written
    const second = flush();
    await settle();

    writes[0]!.succeed();
    await settle();
    expect(first.settled).toBe("resolved");
    expect(writes[1]!.events).toEqual(["b"]);
    add("c");
    expect(second.settled).toBe("pending");

    writes[1]!.succeed();
    await settle();
    expect(second.settled).toBe("resolved");
    expect(writes).toHaveLength(2);
    expect(buffer.pending).toBe(1); // c, for the timer
  });

  it("puts back the events of a failed write, in front, for the flush waiting on it to retry", async () => {
    const { buffer, writes, flush, add } = setup();
    add("a");
    const first = flush();
    await settle();
    add("b");
    const second = flush();

    writes[0]!.fail();
    await settle();
    expect(first.settled).toBe("rejected");
    expect(second.settled).toBe("pending");
    expect(writes[1]!.events).toEqual(["a", "b"]);

    writes[1]!.fail();
    await settle();
    expect(second.settled).toBe("rejected");
    expect(buffer.pending).toBe(2);
    expect(buffer.dropped).toBe(0);
  });

  it("keeps at most maxBuffered owners' events and as many of no owner, dropping the oldest of that kind", async () => {
    const { buffer, writes, flush, add } = setup({ maxBuffered: 3 });
    add("a", "b", "junk0");
    const flushed = flush();
    await settle();
    add("c", "d", "junk1", "junk2", "junk3", "junk4"); // junk0 is out being written: 4 of no owner wait
    expect(buffer.dropped).toBe(1);

    writes[0]!.fail(); // a, b and junk0 come back in front; the oldest of each kind beyond 3 go
    await settle();
    expect(flushed.settled).toBe("rejected");
    expect(buffer.dropped).toBe(1 + 1 + 1);
    const retried = flush();
    await settle();
    expect(writes[1]!.events).toEqual(["b", "c", "d", "junk2", "junk3", "junk4"]);
    writes[1]!.succeed();
    await settle();
    expect(retried.settled).toBe("resolved");
    expect(buffer.pending).toBe(0);
  });

  it("writes an event flushIntervalMs after it is added, retries a failed write as long after, and stops when closed", async () => {
    jest.useFakeTimers({ doNotFake: ["setImmediate"] });
    const { buffer, writes, add } = setup({ flushIntervalMs: 500 });
    add("a");
    jest.advanceTimersByTime(499);
    expect(writes).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(writes).toHaveLength(1);

    writes[0]!.fail();
    await settle();
    jest.advanceTimersByTime(500);
    expect(writes[1]!.events).toEqual(["a"]);
    writes[1]!.succeed();
    await settle();

    add("b");
    const closed = buffer.close();
    writes[2]!.succeed();
    await closed;
    add("c");
    expect(buffer.dropped).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });
});
