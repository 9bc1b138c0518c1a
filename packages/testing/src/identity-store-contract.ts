import type { IdentityStore, LinkedIdentity } from "@portcullis/core";

const T = 1_800_000_000_000;

/**
 * The behaviour every `IdentityStore` adapter must have. Each adapter's test file calls this with
 * a factory that returns a fresh, empty store.
 *
 * @example
 * describeIdentityStoreContract("MemoryIdentityStore", () => new MemoryIdentityStore());
 */
export function describeIdentityStoreContract(adapter: string, makeStore: () => Promise<IdentityStore> | IdentityStore): void {
  describe(`IdentityStore contract: ${adapter}`, () => {
    let store: IdentityStore;
    let users = 0;
    const newUser = () => `usr_identities${++users}`;
    beforeEach(async () => {
      store = await makeStore();
    });

    const identity = (userId: string, provider: string, subject: string, linkedAt = T, email?: string): LinkedIdentity =>
      email === undefined ? { provider, subject, userId, linkedAt } : { provider, subject, userId, email, linkedAt };

    test("a linked identity is found by (provider, subject) and listed for its user, oldest first; nothing else is", async () => {
      const ada = newUser();
      const github = identity(ada, "github", "583231", T + 2000);
      const google = identity(ada, "google", "10769150350006150715113082367", T + 1000, "ada@example.com");
      expect(await store.link(github)).toBe(true);
      expect(await store.link(google)).toBe(true);
      expect(await store.find("google", "10769150350006150715113082367")).toEqual(google);
      expect(await store.find("github", "583231")).toEqual(github);
      expect(await store.find("github", "583232")).toBeUndefined();
      expect(await store.find("gitlab", "583231")).toBeUndefined();
      expect(await store.listByUser(ada)).toEqual([google, github]);
      expect(await store.listByUser(newUser())).toEqual([]);
      // An identity without an email comes back without the property, not with `email: undefined`.
      expect(Object.keys((await store.find("github", "583231"))!).sort()).toEqual(["linkedAt", "provider", "subject", "userId"]);
    });

    test("what the store returns and what it was given are copies: changing either changes nothing stored", async () => {
      const userId = newUser();
      const given = { ...identity(userId, "google", "sub-copies", T, "a@example.com") };
      expect(await store.link(given)).toBe(true);
      (given as { email: string }).email = "changed@example.com";
      const found = await store.find("google", "sub-copies");
      (found as { email: string }).email = "changed@example.com";
      const [listed] = await store.listByUser(userId);
      (listed as { userId: string }).userId = "usr_someone_else";
      expect(await store.find("google", "sub-copies")).toEqual(identity(userId, "google", "sub-copies", T, "a@example.com"));
      expect(await store.listByUser(userId)).toEqual([identity(userId, "google", "sub-copies", T, "a@example.com")]);
    });

    test("linking a (provider, subject) already linked is false and writes nothing: the first owner keeps it", async () => {
      const first = newUser();
      const second = newUser();
      expect(await store.link(identity(first, "google", "sub-taken", T, "first@example.com"))).toBe(true);
      expect(await store.link(identity(second, "google", "sub-taken", T + 5, "second@example.com"))).toBe(false);
      expect(await store.link(identity(first, "google", "sub-taken", T + 9))).toBe(false);
      expect(await store.find("google", "sub-taken")).toEqual(identity(first, "google", "sub-taken", T, "first@example.com"));
      expect(await store.listByUser(second)).toEqual([]);
      expect(await store.listByUser(first)).toHaveLength(1);
    });

    test("one subject at two providers is two identities, each of its own user", async () => {
      const one = newUser();
      const two = newUser();
      expect(await store.link(identity(one, "google", "12345"))).toBe(true);
      expect(await store.link(identity(two, "github", "12345"))).toBe(true);
      expect((await store.find("google", "12345"))?.userId).toBe(one);
      expect((await store.find("github", "12345"))?.userId).toBe(two);
      expect(await store.unlink(one, "github", "12345")).toBe("not_found");
      expect(await store.unlink(one, "google", "12345")).toBe("unlinked");
      expect((await store.find("github", "12345"))?.userId).toBe(two);
    });

    test("ten concurrent links of one (provider, subject) by ten users: exactly one succeeds, and it owns the identity", async () => {
      const contenders = Array.from({ length: 10 }, newUser);
      const answers = await Promise.all(contenders.map((userId, i) => store.link(identity(userId, "corp", "raced", T + i))));
      expect(answers.filter(Boolean)).toHaveLength(1);
      const winner = contenders[answers.indexOf(true)]!;
      expect((await store.find("corp", "raced"))?.userId).toBe(winner);
      const listed = await Promise.all(contenders.map((userId) => store.listByUser(userId)));
      expect(listed.map((identities) => identities.length)).toEqual(contenders.map((userId) => (userId === winner ? 1 : 0)));
    });

    test("unlinking another user's identity, or one never linked, is not_found and removes nothing", async () => {
      const owner = newUser();
      const other = newUser();
      await store.link(identity(owner, "google", "sub-owned"));
      await store.link(identity(other, "google", "sub-other"));
      expect(await store.unlink(other, "google", "sub-owned")).toBe("not_found");
      expect(await store.unlink(other, "google", "sub-owned", { keepOne: true })).toBe("not_found");
      expect(await store.unlink(owner, "google", "sub-never")).toBe("not_found");
      expect(await store.unlink(owner, "github", "sub-owned")).toBe("not_found");
      expect((await store.find("google", "sub-owned"))?.userId).toBe(owner);
      expect(await store.listByUser(other)).toHaveLength(1);
    });

    test("with keepOne the user's last identity is refused (last) and stays; one of two goes", async () => {
      const userId = newUser();
      await store.link(identity(userId, "google", "sub-a", T));
      await store.link(identity(userId, "github", "sub-b", T + 1));
      expect(await store.unlink(userId, "google", "sub-a", { keepOne: true })).toBe("unlinked");
      expect(await store.find("google", "sub-a")).toBeUndefined();
      expect(await store.unlink(userId, "github", "sub-b", { keepOne: true })).toBe("last");
      expect(await store.listByUser(userId)).toEqual([identity(userId, "github", "sub-b", T + 1)]);
      expect(await store.find("github", "sub-b")).toEqual(identity(userId, "github", "sub-b", T + 1));
    });

    test("without keepOne the last identity goes too, and its (provider, subject) can then be linked again", async () => {
      const userId = newUser();
      await store.link(identity(userId, "google", "sub-only"));
      expect(await store.unlink(userId, "google", "sub-only")).toBe("unlinked");
      expect(await store.find("google", "sub-only")).toBeUndefined();
      expect(await store.listByUser(userId)).toEqual([]);
      expect(await store.unlink(userId, "google", "sub-only")).toBe("not_found");
      const next = newUser();
      expect(await store.link(identity(next, "google", "sub-only", T + 1))).toBe(true);
      expect((await store.find("google", "sub-only"))?.userId).toBe(next);
    });

    test("concurrent keepOne unlinks of a user's two identities: exactly one is unlinked, one stays", async () => {
      for (let round = 0; round < 5; round++) {
        const userId = newUser();
        await store.link(identity(userId, "google", `sub-g${round}`, T));
        await store.link(identity(userId, "github", `sub-h${round}`, T + 1));
        const answers = await Promise.all([
          store.unlink(userId, "google", `sub-g${round}`, { keepOne: true }),
          store.unlink(userId, "github", `sub-h${round}`, { keepOne: true }),
        ]);
        expect([...answers].sort()).toEqual(["last", "unlinked"]);
        expect(await store.listByUser(userId)).toHaveLength(1);
      }
    });

    test("providers and subjects with colons, quotes, spaces, unicode and 200 characters round-trip, and stay apart", async () => {
      const userId = newUser();
      const odd: [string, string][] = [
        ["corp:eu", "a:b"],
        ["corp", "eu:a:b"],
        ['q"uote', "sp ace\ttab\\slash"],
        ["🔐 idp", "Zoë ﬁ 名前 \u{1F600}"],
        ["long", "x".repeat(199) + "é"],
        ["[\"a\",\"b\"]", "{tag}"],
      ];
      for (const [i, [provider, subject]] of odd.entries()) expect(await store.link(identity(userId, provider, subject, T + i, `${i}@exämple.com`))).toBe(true);
      for (const [i, [provider, subject]] of odd.entries()) expect(await store.find(provider, subject)).toEqual(identity(userId, provider, subject, T + i, `${i}@exämple.com`));
      expect((await store.listByUser(userId)).map(({ provider, subject }) => [provider, subject])).toEqual(odd);
      expect(await store.find("corp:eu:a", "b")).toBeUndefined();
      expect(await store.unlink(userId, "corp", "eu:a:b")).toBe("unlinked");
      expect((await store.find("corp:eu", "a:b"))?.userId).toBe(userId);
    });

    test("a user id with odd characters lists and unlinks only its own identities", async () => {
      const odd = `usr_${newUser()}:{x}"é`;
      const plain = odd.slice(0, 4);
      await store.link(identity(odd, "google", "sub-odd"));
      await store.link(identity(plain, "google", "sub-plain"));
      expect((await store.listByUser(odd)).map((found) => found.subject)).toEqual(["sub-odd"]);
      expect(await store.unlink(plain, "google", "sub-odd")).toBe("not_found");
      expect(await store.unlink(odd, "google", "sub-odd", { keepOne: true })).toBe("last");
    });

    test("text a store cannot keep (U+0000, half a surrogate pair) is refused as invalid_request when linked, and finds nothing when looked up", async () => {
      const userId = newUser();
      const bad: LinkedIdentity[] = [
        identity(userId, "goo\u0000gle", "sub"),
        identity(userId, "google", "s\u0000ub"),
        identity(`${userId}\u0000`, "google", "sub"),
        identity(userId, "google", "sub", T, "a\u0000@example.com"),
        identity(userId, "google", "s\ud800ub"),
        identity(userId, "g\udfffoogle", "sub"),
        identity(userId, "", "sub"),
        identity(userId, "google", ""),
        identity("", "google", "sub"),
        identity(userId, "google", "sub", Number.NaN),
      ];
      for (const each of bad) await expect(store.link(each)).rejects.toMatchObject({ code: "invalid_request" });
      expect(await store.listByUser(userId)).toEqual([]);
      expect(await store.find("google", "sub")).toBeUndefined();
      await store.link(identity(userId, "google", "s\ufffdub"));
      expect(await store.find("google", "s\ud800ub")).toBeUndefined(); // not the U+FFFD one UTF-8 would make of it
      expect(await store.find("goo\u0000gle", "sub")).toBeUndefined();
      expect(await store.listByUser(`${userId}\u0000`)).toEqual([]);
      expect(await store.unlink(userId, "google", "s\ud800ub")).toBe("not_found");
      expect(await store.unlink(`${userId}\u0000`, "google", "s\ufffdub")).toBe("not_found");
      expect((await store.find("google", "s\ufffdub"))?.userId).toBe(userId);
    });
  });
}
