import type { PasswordHasher, ProvisioningUserStore } from "@portcullis/core";

/**
 * A hasher whose hashes are readable, `test:<password>`, and whose dummy hash is the empty
 * password's: what a store checks a user without a hash against is then known, and must still
 * never match.
 */
const readableHasher: PasswordHasher = {
  hash: async (password) => `test:${password}`,
  verify: async (password, hash) => hash === `test:${password}`,
  dummyHash: "test:",
  assertStorable: () => {},
};

/**
 * The behaviour every `ProvisioningUserStore` adapter must have. `makeStore` returns a fresh
 * store; given a password hasher, the store must use it instead of its usual one.
 */
export function describeUserStoreContract(
  adapter: string,
  makeStore: (passwords?: PasswordHasher) => Promise<ProvisioningUserStore> | ProvisioningUserStore,
): void {
  describe(`UserStore contract: ${adapter}`, () => {
    let users: ProvisioningUserStore;
    beforeEach(async () => {
      users = await makeStore();
    });

    test("a created user is found by id and by email, however the email is typed, and carries no hash", async () => {
      const created = await users.create({ email: "  Ada@Example.COM ", password: "correct horse", role: "admin" });
      expect(created).toEqual({ id: expect.stringMatching(/^usr_/), email: "ada@example.com", role: "admin" });
      expect(await users.findById(created.id)).toEqual(created);
      expect(await users.findByEmail("ADA@example.com")).toEqual(created);
      expect(JSON.stringify(await users.findById(created.id))).not.toMatch(/\$2[aby]\$/);
    });

    test("verifyCredentials: the right password finds the user; a wrong one or an unknown email finds nobody", async () => {
      const created = await users.create({ email: "bob@example.com", password: "correct horse", role: "member" });
      expect(await users.verifyCredentials("Bob@Example.com", "correct horse")).toEqual(created);
      expect(await users.verifyCredentials("bob@example.com", "Correct horse")).toBeUndefined();
      expect(await users.verifyCredentials("nobody@example.com", "correct horse")).toBeUndefined();
      expect(await users.verifyCredentials("bob@example.com", "")).toBeUndefined();
    });

    test("changing a password makes the old one fail and the new one work", async () => {
      const created = await users.create({ email: "cy@example.com", password: "first password", role: "member" });
      expect(await users.changePassword(created.id, "second password")).toBe(true);
      expect(await users.verifyCredentials("cy@example.com", "first password")).toBeUndefined();
      expect((await users.verifyCredentials("cy@example.com", "second password"))?.id).toBe(created.id);
      expect((await users.findById(created.id))?.passwordChangedAt).toEqual(expect.any(Number));
      expect(await users.changePassword("usr_nobody", "third password")).toBe(false);
    });

    test("an email is registered once", async () => {
      await users.create({ email: "dee@example.com", password: "correct horse", role: "member" });
      await expect(users.create({ email: "DEE@example.com", password: "other horse", role: "admin" })).rejects.toMatchObject({ code: "conflict" });
    });

    test("concurrent sign-ups with one address: exactly one succeeds, and the address finds that user", async () => {
      const email = "race@example.com";
      const outcomes = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => users.create({ email, password: `password number ${i}`, role: "member" })));
      const created = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
      expect(created).toHaveLength(1);
      for (const outcome of outcomes) if (outcome.status === "rejected") expect(outcome.reason).toMatchObject({ code: "conflict" });
      expect(await users.findByEmail(email)).toEqual(created[0]);
    });

    test("a sign-up that fails leaves the address free for the next one", async () => {
      let failing = true;
      const flaky: PasswordHasher = {
        hash: async (password) => {
          if (failing) throw new Error("the hasher failed");
          return `test:${password}`;
        },
        verify: async (password, hash) => hash === `test:${password}`,
        dummyHash: "test:",
        assertStorable: () => {},
      };
      const store = await makeStore(flaky);
      await expect(store.create({ email: "hal@example.com", password: "correct horse", role: "member" })).rejects.toThrow();
      expect(await store.findByEmail("hal@example.com")).toBeUndefined();
      failing = false;
      const created = await store.create({ email: "hal@example.com", password: "correct horse", role: "member" });
      expect(await store.verifyCredentials("hal@example.com", "correct horse")).toEqual(created);
    });

    test("a password past bcrypt's 72 bytes is refused when set, never silently truncated", async () => {
      const long = "é".repeat(37); // 74 bytes in UTF-8, 37 characters
      await expect(users.create({ email: "eve@example.com", password: long, role: "member" })).rejects.toMatchObject({
        code: "invalid_request",
        message: expect.stringMatching(/^password: at most 72 bytes/),
      });
      const created = await users.create({ email: "eve@example.com", password: "a".repeat(72), role: "member" });
      expect(await users.verifyCredentials("eve@example.com", `${"a".repeat(72)}extra`)).toBeUndefined();
      await expect(users.changePassword(created.id, long)).rejects.toMatchObject({ code: "invalid_request" });
    });

    test("an email holding U+0000 or half a surrogate pair is refused at sign-up, and looking one up finds nobody rather than failing", async () => {
      // Such text cannot be stored as it was sent: PostgreSQL refuses U+0000, and UTF-8 turns half a pair into U+FFFD.
      for (const email of ["nul\u0000@example.com", "half\ud800@example.com"]) {
        await expect(users.create({ email, password: "correct horse", role: "member" })).rejects.toMatchObject({ code: "invalid_request" });
      }
      const created = await users.create({ email: "ivy@example.com", password: "correct horse", role: "member" });
      expect(await users.verifyCredentials("ivy@example.com\u0000", "correct horse")).toBeUndefined();
      expect(await users.verifyCredentials("ivy\udc00@example.com", "correct horse")).toBeUndefined();
      expect(await users.findByEmail("ivy\u0000@example.com")).toBeUndefined();
      expect(await users.findById(`${created.id}\u0000`)).toBeUndefined();
      expect(await users.changePassword(`${created.id}\u0000`, "other horse")).toBe(false);
    });

    test("half a surrogate pair in a lookup reads as U+FFFD, as UTF-8 storage holds it: every store finds the same account", async () => {
      const created = await users.create({ email: "j\ufffdrg@example.com", password: "correct horse", role: "member" });
      for (const half of ["\ud800", "\udbff", "\udc00"]) {
        expect((await users.findByEmail(`j${half}rg@example.com`))?.id).toBe(created.id);
      }
      expect((await users.verifyCredentials("J\udfffRG@example.com", "correct horse"))?.id).toBe(created.id);
    });

    test("a password holding U+0000 is refused when set, and never matches: bcrypt takes NULs alone for the empty password", async () => {
      const nuls = "\u0000".repeat(8);
      await expect(users.create({ email: "nul@example.com", password: nuls, role: "member" })).rejects.toMatchObject({
        code: "invalid_request",
        message: expect.stringMatching(/^password: /),
      });
      const created = await users.create({ email: "nul@example.com", password: "correct horse", role: "member" });
      await expect(users.changePassword(created.id, `correct\u0000horse`)).rejects.toMatchObject({ code: "invalid_request" });
      expect(await users.verifyCredentials("nul@example.com", "correct horse\u0000")).toBeUndefined();
    });

    test("a user made without a password is passwordless: found by id and by email, and no password verifies, not even the one the dummy hash holds", async () => {
      const store = await makeStore(readableHasher);
      const created = await store.create({ email: " Pat@Example.com", role: "member" });
      expect(created).toEqual({ id: expect.stringMatching(/^usr_/), email: "pat@example.com", role: "member", passwordless: true });
      expect(await store.findById(created.id)).toEqual(created);
      expect(await store.findByEmail("PAT@example.com")).toEqual(created);
      expect(await store.verifyCredentials("pat@example.com", "")).toBeUndefined(); // the dummy hash's password
      expect(await store.verifyCredentials("pat@example.com", "correct horse")).toBeUndefined();
      // An ordinary user is not passwordless, and the dummy's password does not open it either.
      const ordinary = await store.create({ email: "quin@example.com", password: "correct horse", role: "member" });
      expect(ordinary).not.toHaveProperty("passwordless");
      expect(await store.verifyCredentials("quin@example.com", "")).toBeUndefined();
      expect(await store.verifyCredentials("quin@example.com", "correct horse")).toEqual(ordinary);
    });

    test("setting a password on a passwordless user makes it an ordinary one: the password verifies and passwordless is gone", async () => {
      const created = await users.create({ email: "ray@example.com", role: "member" });
      expect(await users.changePassword(created.id, "correct horse")).toBe(true);
      const after = { id: created.id, email: "ray@example.com", role: "member", passwordChangedAt: expect.any(Number) };
      expect(await users.verifyCredentials("ray@example.com", "correct horse")).toEqual(after);
      expect(await users.findById(created.id)).toEqual(after);
      expect(await users.findByEmail("ray@example.com")).toEqual(after);
    });

    test("setRole changes the role seen by id, by email and at sign-in; an unknown user is false, an empty role invalid_request", async () => {
      const created = await users.create({ email: "sam@example.com", password: "correct horse", role: "member" });
      const bystander = await users.create({ email: "tia@example.com", role: "member" });
      expect(await users.setRole(created.id, "admin")).toBe(true);
      expect(await users.findById(created.id)).toEqual({ ...created, role: "admin" });
      expect(await users.findByEmail("sam@example.com")).toEqual({ ...created, role: "admin" });
      expect(await users.verifyCredentials("sam@example.com", "correct horse")).toEqual({ ...created, role: "admin" });
      expect(await users.findById(bystander.id)).toEqual(bystander);
      expect(await users.setRole("usr_nobody", "admin")).toBe(false);
      expect(await users.findById("usr_nobody")).toBeUndefined();
      await expect(users.setRole(created.id, "")).rejects.toMatchObject({ code: "invalid_request" });
      expect((await users.findById(created.id))?.role).toBe("admin");
      expect(await users.setRole(bystander.id, "auditor")).toBe(true);
      expect(await users.findById(bystander.id)).toEqual({ ...bystander, role: "auditor" });
    });

    test("setEmail moves the account to the new address: found by it however typed, signs in with it, and the old address is free", async () => {
      const created = await users.create({ email: "uma@example.com", password: "correct horse", role: "member" });
      expect(await users.setEmail(created.id, "  Uma.New@Example.COM ")).toBe(true);
      const moved = { ...created, email: "uma.new@example.com" };
      expect(await users.findById(created.id)).toEqual(moved);
      expect(await users.findByEmail("UMA.NEW@example.com ")).toEqual(moved);
      expect(await users.findByEmail("uma@example.com")).toBeUndefined();
      expect(await users.verifyCredentials(" uma.new@EXAMPLE.com", "correct horse")).toEqual(moved);
      expect(await users.verifyCredentials("uma@example.com", "correct horse")).toBeUndefined();
      const next = await users.create({ email: "UMA@example.com", password: "other horse", role: "member" });
      expect(await users.findByEmail("uma@example.com")).toEqual(next);
      expect(await users.findByEmail("uma.new@example.com")).toEqual(moved);
    });

    test("setEmail to the user's own address, however typed, changes nothing; a passwordless user stays passwordless", async () => {
      const created = await users.create({ email: "val@example.com", role: "member" });
      expect(await users.setEmail(created.id, " VAL@example.com")).toBe(true);
      expect(await users.findByEmail("val@example.com")).toEqual(created);
      expect(await users.setEmail(created.id, "val@example.org")).toBe(true);
      expect(await users.findById(created.id)).toEqual({ ...created, email: "val@example.org" });
    });

    test("setEmail to another user's address is a conflict and changes neither user", async () => {
      const wes = await users.create({ email: "wes@example.com", password: "correct horse", role: "member" });
      const xan = await users.create({ email: "xan@example.com", password: "correct horse", role: "member" });
      await expect(users.setEmail(wes.id, " XAN@example.com")).rejects.toMatchObject({ code: "conflict" });
      expect(await users.findById(wes.id)).toEqual(wes);
      expect(await users.findByEmail("wes@example.com")).toEqual(wes);
      expect(await users.findByEmail("xan@example.com")).toEqual(xan);
    });

    test("setEmail of an unknown user is false and claims nothing; an address that is none is invalid_request", async () => {
      expect(await users.setEmail("usr_nobody", "yan@example.com")).toBe(false);
      const created = await users.create({ email: "yan@example.com", password: "correct horse", role: "member" });
      for (const bad of ["not-an-email", "", "nul\u0000@example.com", "half\ud800@example.com"]) {
        await expect(users.setEmail(created.id, bad)).rejects.toMatchObject({ code: "invalid_request", message: expect.stringMatching(/^email: /) });
      }
      expect(await users.findById(created.id)).toEqual(created);
      expect(await users.findByEmail("yan@example.com")).toEqual(created);
    });

    test("two users moving to one address at once: exactly one gets it, and the address finds that user", async () => {
      const zed = await users.create({ email: "zed@example.com", role: "member" });
      const amy = await users.create({ email: "amy@example.com", role: "member" });
      const outcomes = await Promise.allSettled([users.setEmail(zed.id, "both@example.com"), users.setEmail(amy.id, "both@example.com")]);
      const won = outcomes.findIndex((outcome) => outcome.status === "fulfilled");
      expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toEqual([{ status: "fulfilled", value: true }]);
      expect(outcomes[1 - won]).toMatchObject({ status: "rejected", reason: { code: "conflict" } });
      const [winner, loser] = won === 0 ? [zed, amy] : [amy, zed];
      expect(await users.findByEmail("both@example.com")).toEqual({ ...winner, email: "both@example.com" });
      expect(await users.findById(loser.id)).toEqual(loser);
      expect(await users.findByEmail(loser.email)).toEqual(loser);
    });

    test.each([
      ["a malformed email", { email: "not-an-email", password: "correct horse", role: "member" }, /^email: /],
      ["a short password", { email: "f@example.com", password: "short", role: "member" }, /^password: at least/],
      ["no role", { email: "g@example.com", password: "correct horse", role: "" }, /^role: /],
    ])("creating a user with %s is refused as invalid_request", async (_what, user, message) => {
      await expect(users.create(user)).rejects.toMatchObject({ code: "invalid_request", message: expect.stringMatching(message) });
    });
  });
}
