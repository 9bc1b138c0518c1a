import { randomBytes } from "node:crypto";
import type { EmailToken, EmailTokenStore } from "@portcullis/core";

const T = 1_800_000_000_000;
const MINUTE = 60_000;

/** A value shaped like what the flows store: the SHA-256 of a token or a code, hex. */
const digest = () => randomBytes(32).toString("hex");

/**
 * The behaviour every `EmailTokenStore` adapter must have. Each adapter's test file calls this
 * with a factory that returns a fresh, empty store.
 *
 * @example
 * describeEmailTokenStoreContract("MemoryEmailTokenStore", () => new MemoryEmailTokenStore());
 */
export function describeEmailTokenStoreContract(adapter: string, makeStore: () => Promise<EmailTokenStore> | EmailTokenStore): void {
  describe(`EmailTokenStore contract: ${adapter}`, () => {
    let store: EmailTokenStore;
    let keys = 0;
    const newKey = () => `contract-key-${++keys}`;
    beforeEach(async () => {
      store = await makeStore();
    });

    const reset = (overrides: Partial<EmailToken> = {}): EmailToken => ({
      purpose: "password_reset",
      email: "ada@example.com",
      userId: "usr_ada",
      issuedAt: T,
      expiresAt: T + 30 * MINUTE,
      ...overrides,
    });

    describe("link tokens", () => {
      test("an issued token is taken once, as it was issued; an unknown digest finds nothing", async () => {
        const [first, second] = [digest(), digest()];
        const invitation: EmailToken = { purpose: "invitation", email: "bob@example.com", role: "editor", issuedAt: T, expiresAt: T + 7 * 24 * 60 * MINUTE };
        await store.issue(first, reset());
        await store.issue(second, invitation);
        expect(await store.take(first, "password_reset", T + 1000)).toEqual(reset());
        expect(await store.take(first, "password_reset", T + 1000)).toBeUndefined();
        // Optional fields absent when issued come back absent, not as `undefined`.
        const taken = await store.take(second, "invitation", T + 1000);
        expect(taken).toEqual(invitation);
        expect(Object.keys(taken!).sort()).toEqual(["email", "expiresAt", "issuedAt", "purpose", "role"]);
        expect(await store.take(digest(), "password_reset", T + 1000)).toBeUndefined();
      });

      test("a take for another purpose finds nothing and leaves the token usable for its own", async () => {
        const key = digest();
        await store.issue(key, reset());
        expect(await store.take(key, "sign_up", T + 1000)).toBeUndefined();
        expect(await store.take(key, "email_change", T + 1000)).toBeUndefined();
        expect(await store.take(key, "password_reset", T + 1000)).toEqual(reset());
      });

      test("a token is refused from its expiry on, and works until the instant before", async () => {
        const [expired, live] = [digest(), digest()];
        await store.issue(expired, reset());
        await store.issue(live, reset());
        expect(await store.take(expired, "password_reset", T + 30 * MINUTE)).toBeUndefined();
        expect(await store.take(live, "password_reset", T + 30 * MINUTE - 1)).toEqual(reset());
      });

      test("ten concurrent takes of one token: exactly one gets it", async () => {
        const key = digest();
        await store.issue(key, reset({ purpose: "email_change", email: "new@example.com" }));
        const taken = await Promise.all(Array.from({ length: 10 }, () => store.take(key, "email_change", T + 1000)));
        expect(taken.filter(Boolean)).toEqual([reset({ purpose: "email_change", email: "new@example.com" })]);
      });

      test("tokens are independent: taking one leaves the others", async () => {
        const [a, b] = [digest(), digest()];
        await store.issue(a, reset({ email: "a@example.com" }));
        await store.issue(b, reset({ email: "b@example.com" }));
        expect((await store.take(a, "password_reset", T + 1))?.email).toBe("a@example.com");
        expect((await store.take(b, "password_reset", T + 1))?.email).toBe("b@example.com");
      });
    });

    describe("codes", () => {
      const issue = (key: string, code: string, at = T, life = 10 * MINUTE, cooldown = MINUTE) => store.issueCode(key, code, at, at + life, cooldown);

      test("a right code is accepted once, then spent; a code nobody sent is spent", async () => {
        const [key, code] = [newKey(), digest()];
        expect(await issue(key, code)).toEqual({ issued: true });
        expect(await store.useCode(key, code, T + 1000, 5)).toBe("accepted");
        expect(await store.useCode(key, code, T + 2000, 5)).toBe("spent");
        expect(await store.useCode(newKey(), code, T + 2000, 5)).toBe("spent");
      });

      test("a wrong code is rejected while tries remain, and the right one still works after", async () => {
        const [key, code] = [newKey(), digest()];
        await issue(key, code);
        for (let i = 0; i < 4; i++) expect(await store.useCode(key, digest(), T + 1000, 5)).toBe("rejected");
        expect(await store.useCode(key, code, T + 1000, 5)).toBe("accepted");
      });

      test("the try past maxTries ends the code, even with the right digest", async () => {
        const [key, code] = [newKey(), digest()];
        await issue(key, code);
        for (let i = 0; i < 5; i++) expect(await store.useCode(key, digest(), T + 1000, 5)).toBe("rejected");
        expect(await store.useCode(key, code, T + 1000, 5)).toBe("spent");
        expect(await store.useCode(key, code, T + 1000, 5)).toBe("spent");
      });

      test("a code is spent from its expiry on, and accepted the instant before", async () => {
        const [expired, live, code] = [newKey(), newKey(), digest()];
        await issue(expired, code);
        await issue(live, code);
        expect(await store.useCode(expired, code, T + 10 * MINUTE, 5)).toBe("spent");
        expect(await store.useCode(live, code, T + 10 * MINUTE - 1, 5)).toBe("accepted");
      });

      test("ten concurrent wrong tries with maxTries 5: five are compared, the rest and the right code after them are spent", async () => {
        const [key, code] = [newKey(), digest()];
        await issue(key, code);
        const uses = await Promise.all(Array.from({ length: 10 }, () => store.useCode(key, digest(), T + 1000, 5)));
        expect(uses.filter((use) => use === "rejected")).toHaveLength(5);
        expect(uses.filter((use) => use === "spent")).toHaveLength(5);
        expect(await store.useCode(key, code, T + 1000, 5)).toBe("spent");
      });

      test("ten concurrent tries of the right code: exactly one is accepted", async () => {
        const [key, code] = [newKey(), digest()];
        await issue(key, code);
        const uses = await Promise.all(Array.from({ length: 10 }, () => store.useCode(key, code, T + 1000, 5)));
        expect(uses.filter((use) => use === "accepted")).toHaveLength(1);
        expect(uses.filter((use) => use === "spent")).toHaveLength(9);
      });

      test("within the cool-down no new code is issued, retryAt says when, and the old code still works", async () => {
        const [key, first, second] = [newKey(), digest(), digest()];
        await issue(key, first);
        expect(await issue(key, second, T + MINUTE - 1)).toEqual({ issued: false, retryAt: T + MINUTE });
        expect(await store.useCode(key, second, T + MINUTE - 1, 5)).toBe("rejected");
        expect(await store.useCode(key, first, T + MINUTE - 1, 5)).toBe("accepted");
      });

      test("after the cool-down a new code replaces the old one, with its tries reset", async () => {
        const [key, first, second] = [newKey(), digest(), digest()];
        await issue(key, first);
        for (let i = 0; i < 4; i++) expect(await store.useCode(key, digest(), T + 1000, 5)).toBe("rejected");
        expect(await issue(key, second, T + MINUTE)).toEqual({ issued: true });
        expect(await store.useCode(key, first, T + MINUTE + 1, 5)).toBe("rejected"); // the old code is gone
        for (let i = 0; i < 3; i++) expect(await store.useCode(key, digest(), T + MINUTE + 1, 5)).toBe("rejected");
        expect(await store.useCode(key, second, T + MINUTE + 1, 5)).toBe("accepted"); // the fifth try of the new code
      });

      test("the cool-down outlives an accepted code, and a code whose life is shorter than the cool-down", async () => {
        const [used, short] = [newKey(), newKey()];
        const code = digest();
        await issue(used, code);
        expect(await store.useCode(used, code, T + 1000, 5)).toBe("accepted");
        expect(await issue(used, digest(), T + 2000)).toEqual({ issued: false, retryAt: T + MINUTE });
        await issue(short, code, T, 30_000, MINUTE);
        expect(await store.useCode(short, code, T + 30_000, 5)).toBe("spent");
        expect(await issue(short, digest(), T + 45_000, 30_000, MINUTE)).toEqual({ issued: false, retryAt: T + MINUTE });
        expect(await issue(short, digest(), T + MINUTE, 30_000, MINUTE)).toEqual({ issued: true });
      });

      test("ten concurrent issues for one key: exactly one is issued, and only its code is accepted", async () => {
        const key = newKey();
        const codes = Array.from({ length: 10 }, digest);
        const issues = await Promise.all(codes.map((code) => issue(key, code)));
        expect(issues.filter((answer) => answer.issued)).toHaveLength(1);
        expect(issues.filter((answer) => !answer.issued)).toEqual(Array(9).fill({ issued: false, retryAt: T + MINUTE }));
        const uses = [];
        for (const code of codes) uses.push(await store.useCode(key, code, T + 1000, 10));
        expect(uses.filter((use) => use === "accepted")).toHaveLength(1);
        expect(uses[issues.findIndex((answer) => answer.issued)]).toBe("accepted");
      });

      test("keys are independent: tries, spending and cool-downs of one leave the others", async () => {
        const [a, b, code] = [newKey(), newKey(), digest()];
        await issue(a, code);
        expect(await issue(b, code)).toEqual({ issued: true });
        for (let i = 0; i < 6; i++) await store.useCode(a, digest(), T + 1000, 5);
        expect(await store.useCode(a, code, T + 1000, 5)).toBe("spent");
        expect(await store.useCode(b, code, T + 1000, 5)).toBe("accepted");
      });
    });
  });
}
