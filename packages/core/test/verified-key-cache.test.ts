import { PortcullisError, type KeyCacheOptions } from "@portcullis/core";
import { VerifiedKeyCache } from "@portcullis/core/internal";

/** A cache on a clock the test moves, and a loader that counts its calls. */
function setup(options: KeyCacheOptions = {}) {
  let time = 1_000_000;
  const cache = new VerifiedKeyCache<{ name: string }>(options, () => time);
  const loads: string[] = [];
  const known = new Map([["d1", { name: "one" }], ["d2", { name: "two" }]]);
  const load = async (digest: string) => {
    loads.push(digest);
    return known.get(digest);
  };
  return { cache, loads, load, known, advance: (ms: number) => void (time += ms) };
}

describe("VerifiedKeyCache", () => {
  it("answers a known digest from memory until its time to live ends, then asks again", async () => {
    const { cache, loads, load, advance } = setup({ ttlMs: 10_000 });

    expect(await cache.get("d1", load)).toEqual({ name: "one" });
    expect(cache.get("d1", load)).toEqual({ name: "one" }); // synchronously: no store call
    advance(9_999);
    cache.get("d1", load);
    expect(loads).toEqual(["d1"]);
    advance(2);
    await cache.get("d1", load);
    expect(loads).toEqual(["d1", "d1"]);
  });

  it("remembers an unknown digest for missTtlMs, so a flood of it costs one lookup", async () => {
    const { cache, loads, load, advance } = setup({ missTtlMs: 2_000 });

    for (let i = 0; i < 100; i++) expect(await cache.get("nope", load)).toBeUndefined();
    expect(loads).toEqual(["nope"]);
    advance(2_001);
    await cache.get("nope", load);
    expect(loads).toEqual(["nope", "nope"]);
  });

  it("keeps misses apart: a flood of invented digests never pushes a known one out", async () => {
    const { cache, loads, load } = setup({ maxEntries: 2, maxMisses: 2 });
    await cache.get("d1", load);
    for (let i = 0; i < 50; i++) await cache.get(`invented-${i}`, load);

    loads.length = 0;
    await cache.get("d1", load);
    expect(loads).toEqual([]);
  });

  it("holds at most maxEntries known digests, dropping the least recently used", async () => {
    const { cache, loads, load, known } = setup({ maxEntries: 2 });
    known.set("d3", { name: "three" });
    await cache.get("d1", load);
    await cache.get("d2", load);
    await cache.get("d1", load); // d1 is now the most recent
    await cache.get("d3", load); // d2 goes

    loads.length = 0;
    await cache.get("d1", load);
    await cache.get("d2", load);
    expect(loads).toEqual(["d2"]);
  });

  it("shares one lookup between concurrent requests for the same digest", async () => {
    const { cache, loads, load } = setup();

    const answers = await Promise.all(Array.from({ length: 20 }, () => cache.get("d1", load)));
    expect(answers.every((answer) => answer?.name === "one")).toBe(true);
    expect(loads).toEqual(["d1"]);
  });

  it("forgets a digest at once, and does not keep a lookup that was under way when it changed", async () => {
    const { cache, load, loads } = setup();
    await cache.get("d1", load);
    cache.forget("d1");
    const underWay = cache.get("d1", load);
    cache.forget("d1"); // the change is heard while the read is in flight: its answer may be stale
    await underWay;

    await cache.get("d1", load);
    expect(loads).toEqual(["d1", "d1", "d1"]);
  });

  it("clear() forgets everything, known and unknown", async () => {
    const { cache, load, loads } = setup();
    await cache.get("d1", load);
    await cache.get("nope", load);
    cache.clear();
    await cache.get("d1", load);
    await cache.get("nope", load);
    expect(loads).toEqual(["d1", "nope", "d1", "nope"]);
  });

  it("does not remember a failed lookup: the next request asks again", async () => {
    const { cache } = setup();
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new PortcullisError("auth_unavailable");
    };

    await expect(cache.get("d1", failing)).rejects.toThrow(PortcullisError);
    await expect(cache.get("d1", failing)).rejects.toThrow(PortcullisError);
    expect(calls).toBe(2);
  });

  it("takes the default for an option given as undefined: a known digest still ages out", async () => {
    const { cache, loads, load, advance } = setup({ ttlMs: undefined });

    await cache.get("d1", load);
    advance(10_001);
    await cache.get("d1", load);
    expect(loads).toEqual(["d1", "d1"]);
  });
});
