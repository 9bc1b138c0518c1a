import { type SessionStorage, type SessionStorageParts, type SessionStorageSettings } from "@portcullis/core";
import { SessionGone } from "@portcullis/core/internal";

/** What a `SessionStorage` adapter declares about itself to `describeSessionStorageContract`. */
export interface SessionStorageContractOptions {
  /**
   * Which clock expires the adapter's sessions: `"injected"`, the `now` it is given (the suite moves
   * it on at once); `"wall"`, the backend's own (Redis: the suite writes 1-second TTLs and waits).
   * @default "injected"
   */
  readonly clock?: "injected" | "wall";
  /**
   * The store keeps a session as long as its own TTL says, not `ttlSeconds` (`expressSessionStorage`:
   * `sessionAuth` still refuses the session once its timeouts have passed). Skips the TTL check.
   * @default false
   */
  readonly keepsItsOwnTtl?: boolean;
  /**
   * A save checks that the session exists, then writes it, in two calls, so a destroy landing
   * between them is overwritten (`expressSessionStorage`'s documented weaker guarantee). Skips
   * only the check of a save racing a destroy; a save after a destroy is still refused.
   * @default false
   */
  readonly saveChecksThenWrites?: boolean;
}

type Data = { cookie: { originalMaxAge: number }; userId: string; ttlSeconds?: number };

/**
 * The behaviour `sessionAuth` relies on from every `SessionStorage` adapter: the store's round
 * trip with the TTL the factory is given, `take`, `creating`, no save bringing back a destroyed
 * session, and the `SessionIndex` (add, list oldest first without expired entries, remove). A
 * check an adapter does not promise (`options`) is skipped under a name that says so.
 * `makeStorage` returns a storage with nothing in it (a fresh prefix on a shared backend will do).
 *
 * @example
 * describeSessionStorageContract("redisSessionStorage", () => redisSessionStorage(client, { prefix: `s${++run}:` }), { clock: "wall" });
 */
export function describeSessionStorageContract(adapter: string, makeStorage: () => SessionStorage, options: SessionStorageContractOptions = {}): void {
  const { clock = "injected", keepsItsOwnTtl = false, saveChecksThenWrites = false } = options;
  // What an adapter declares it does not promise is named in the suite's title, not run.
  const unpromised = [
    ...(keepsItsOwnTtl ? ["expiry by ttlSeconds (it keeps sessions for its own TTL)"] : []),
    ...(saveChecksThenWrites ? ["a save racing a destroy (a save checks, then writes)"] : []),
  ];
  const title = unpromised.length === 0 ? adapter : `${adapter}; not promised: ${unpromised.join("; ")}`;
  describe(`SessionStorage contract: ${title}`, () => {
    let time = 0;
    let parts: SessionStorageParts;
    const now = clock === "wall" ? Date.now : () => time;
    /** Lets `ms` pass on the clock the adapter expires by. */
    const pass = (ms: number) => (clock === "wall" ? new Promise((resolve) => setTimeout(resolve, ms + 100)) : Promise.resolve((time += ms)));
    const settings: SessionStorageSettings = { ttlSeconds: (data) => (data as Partial<Data>).ttlSeconds ?? 60, timeoutMs: 1000, now: () => now() };
    beforeEach(() => {
      time = Date.now();
      parts = makeStorage()(settings);
    });

    const data = (userId: string, ttlSeconds?: number): Data => ({ cookie: { originalMaxAge: 60_000 }, userId, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) });
    const get = (sid: string) => call<object | null | undefined>((done) => parts.store.get(sid, done)).then((found) => found ?? null);
    const save = (sid: string, value: Data = data("usr_1")) => call<void>((done) => parts.store.set(sid, value, done));
    const destroy = (sid: string) => call<void>((done) => parts.store.destroy(sid, done));
    const create = (sid: string, value?: Data) => parts.store.creating(sid, () => save(sid, value));

    describe("the store", () => {
      test("a session created is read back as written, a destroyed one reads as null, and destroying none is no error", async () => {
        expect(await get("never")).toBeNull();
        await create("s1", data("usr_1"));
        expect(await get("s1")).toEqual(data("usr_1"));
        await save("s1", data("usr_2")); // an ordinary save overwrites it
        expect(await get("s1")).toEqual(data("usr_2"));
        await destroy("s1");
        expect(await get("s1")).toBeNull();
        await destroy("s1");
      });

      const ttl = "a session is gone once the ttlSeconds of its latest save have passed";
      if (!keepsItsOwnTtl) {
        test(ttl, async () => {
          await create("short", data("usr_1", 1));
          await create("long", data("usr_1", 60));
          await create("renewed", data("usr_1", 1));
          await save("renewed", data("usr_1", 60));
          expect(await get("short")).not.toBeNull();
          await pass(1000);
          expect(await get("short")).toBeNull();
          expect(await get("long")).not.toBeNull();
          expect(await get("renewed")).not.toBeNull();
        });
      }

      test("take removes a session and is true once, then false; it is false for one never written", async () => {
        await create("s1");
        expect(await parts.store.take("s1")).toBe(true);
        expect(await parts.store.take("s1")).toBe(false);
        expect(await get("s1")).toBeNull();
        expect(await parts.store.take("never")).toBe(false);
      });
    });

    describe("creating (SessionCreations)", () => {
      test("a save of a session that does not exist fails with SessionGone and writes nothing", async () => {
        await expect(save("s1")).rejects.toBeInstanceOf(SessionGone);
        expect(await get("s1")).toBeNull();
      });

      test("creating lets the save it wraps create its own id only, and answers what that save answers", async () => {
        expect(await parts.store.creating("s1", async () => (await save("s1"), "saved"))).toBe("saved");
        expect(await get("s1")).not.toBeNull();
        await parts.store.creating("s2", () => expect(save("s3")).rejects.toBeInstanceOf(SessionGone));
        expect(await get("s3")).toBeNull();
      });

      test("once creating is over, failed or not, a save of the id that was never written fails again", async () => {
        const failure = new Error("the request failed before its save");
        await expect(parts.store.creating("s1", () => Promise.reject(failure))).rejects.toBe(failure);
        await expect(save("s1")).rejects.toBeInstanceOf(SessionGone);
        expect(await get("s1")).toBeNull();
      });
    });

    describe("a destroyed session stays destroyed", () => {
      test("a save after a destroy or a take fails with SessionGone and does not write the session back", async () => {
        await create("destroyed");
        await destroy("destroyed");
        await expect(save("destroyed")).rejects.toBeInstanceOf(SessionGone);
        await create("taken");
        await parts.store.take("taken");
        await expect(save("taken")).rejects.toBeInstanceOf(SessionGone);
        expect(await get("destroyed")).toBeNull();
        expect(await get("taken")).toBeNull();
      });

      const race = "a save already under way when a destroy comes does not write the session back";
      if (!saveChecksThenWrites) {
        test(race, async () => {
          await create("s1");
          const saving = save("s1").catch((error: unknown) => expect(error).toBeInstanceOf(SessionGone));
          await destroy("s1");
          await saving;
          expect(await get("s1")).toBeNull();
        });
      }
    });

    describe("the index", () => {
      test("lists a user's sessions oldest first (by when each may be forgotten), apart from other users'", async () => {
        const at = now();
        await parts.index.add("usr_1", "b", at + 20_000);
        await parts.index.add("usr_1", "a", at + 10_000);
        await parts.index.add("usr_2", "c", at + 30_000);
        expect(await parts.index.list("usr_1", at)).toEqual(["a", "b"]);
        expect(await parts.index.list("usr_2", at)).toEqual(["c"]);
        expect(await parts.index.list("usr_3", at)).toEqual([]);
        await parts.index.add("usr_1", "a", at + 40_000); // added again: listed once, at its new time
        expect(await parts.index.list("usr_1", at)).toEqual(["b", "a"]);
      });

      test("leaves out the entries whose time has come", async () => {
        const at = now();
        await parts.index.add("usr_1", "past", at + 10_000);
        await parts.index.add("usr_1", "due", at + 20_000);
        await parts.index.add("usr_1", "later", at + 60_000);
        expect(await parts.index.list("usr_1", at + 20_000)).toEqual(["later"]);
        expect(await parts.index.list("usr_1", at)).toEqual(["later"]); // pruned for good
      });

      test("an entry added with an earlier time does not cut the others short", async () => {
        await parts.index.add("usr_1", "later", now() + 60_000);
        await parts.index.add("usr_1", "sooner", now() + 500);
        await pass(500);
        expect(await parts.index.list("usr_1", now())).toEqual(["later"]);
      });

      test("removes one session, leaves the user's others and other users' alone, and removing none is no error", async () => {
        const at = now();
        for (const [sid, offset] of [["a", 1], ["b", 2], ["current", 3]] as const) await parts.index.add("usr_1", sid, at + offset * 10_000);
        await parts.index.add("usr_2", "a", at + 10_000);
        await parts.index.remove("usr_1", "b");
        await parts.index.remove("usr_1", "never");
        await parts.index.remove("usr_3", "a");
        expect(await parts.index.list("usr_1", at)).toEqual(["a", "current"]);
        // Revoking the others: each listed one but the current is removed.
        for (const sid of await parts.index.list("usr_1", at)) if (sid !== "current") await parts.index.remove("usr_1", sid);
        expect(await parts.index.list("usr_1", at)).toEqual(["current"]);
        expect(await parts.index.list("usr_2", at)).toEqual(["a"]);
      });
    });
  });
}

function call<T>(start: (done: (error?: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value as T))));
}
