import { randomBytes } from "node:crypto";
import type { MfaStore } from "@portcullis/core";

/** A value shaped like what the router stores: a sealed secret or a recovery-code digest. */
const opaque = () => randomBytes(24).toString("base64url");
const digests = (count: number) => Array.from({ length: count }, opaque);
const sorted = (values: readonly string[]) => [...values].sort();

/**
 * The behaviour every `MfaStore` adapter must have. Each adapter's test file calls this with a
 * factory that returns a fresh, empty store.
 *
 * @example
 * describeMfaStoreContract("MemoryMfaStore", () => new MemoryMfaStore());
 */
export function describeMfaStoreContract(adapter: string, makeStore: () => Promise<MfaStore> | MfaStore): void {
  describe(`MfaStore contract: ${adapter}`, () => {
    let store: MfaStore;
    let user = 0;
    const newUser = () => `usr_contract${++user}`;
    beforeEach(async () => {
      store = await makeStore();
    });

    /** A user with a confirmed enrolment: its sealed secret and recovery-code digests. */
    async function enrolled(userId: string, step = 1000) {
      const secret = opaque();
      const recoveryCodes = digests(10);
      expect(await store.startEnrolment(userId, secret, 1_700_000_000_000)).toBe(true);
      expect(await store.confirm(userId, { secret, recoveryCodes, at: 1_700_000_060_000, step })).toBe(true);
      return { secret, recoveryCodes };
    }

    test("nobody is enrolled at first, and every operation on an unknown user changes nothing", async () => {
      const userId = newUser();
      expect(await store.find(userId)).toBeUndefined();
      expect(await store.useStep(userId, 1)).toBe(false);
      expect(await store.useRecoveryCode(userId, opaque())).toBe(false);
      expect(await store.replaceRecoveryCodes(userId, digests(10))).toBe(false);
      expect(await store.confirm(userId, { secret: opaque(), recoveryCodes: digests(10), at: 1, step: 1 })).toBe(false);
      expect(await store.remove(userId)).toBe(false);
      expect(await store.find(userId)).toBeUndefined();
    });

    test("a started enrolment is pending: its secret, no confirmation, no recovery codes, no step", async () => {
      const userId = newUser();
      const secret = opaque();
      expect(await store.startEnrolment(userId, secret, 1_700_000_000_000)).toBe(true);
      expect(await store.find(userId)).toEqual({ secret, startedAt: 1_700_000_000_000, recoveryCodes: [] });
      expect(await store.useStep(userId, 5)).toBe(false); // a pending secret cannot sign anyone in
    });

    test("starting again replaces a pending enrolment; confirming needs the secret that is pending now", async () => {
      const userId = newUser();
      const first = opaque();
      const second = opaque();
      await store.startEnrolment(userId, first, 1);
      expect(await store.startEnrolment(userId, second, 2)).toBe(true);
      expect((await store.find(userId))?.secret).toBe(second);
      expect(await store.confirm(userId, { secret: first, recoveryCodes: digests(10), at: 3, step: 7 })).toBe(false);
      expect((await store.find(userId))?.confirmedAt).toBeUndefined();
    });

    test("confirming records the time, the step and the recovery codes; a confirmed enrolment cannot be restarted or reconfirmed", async () => {
      const userId = newUser();
      const { secret, recoveryCodes } = await enrolled(userId, 56_666_666);
      const found = await store.find(userId);
      expect(found).toEqual({ secret, startedAt: 1_700_000_000_000, confirmedAt: 1_700_000_060_000, lastStep: 56_666_666, recoveryCodes: expect.any(Array) });
      expect(sorted(found!.recoveryCodes)).toEqual(sorted(recoveryCodes));
      expect(await store.startEnrolment(userId, opaque(), 5)).toBe(false);
      expect(await store.confirm(userId, { secret, recoveryCodes: digests(10), at: 6, step: 56_666_667 })).toBe(false);
      expect((await store.find(userId))?.secret).toBe(secret);
    });

    test("useStep accepts only steps later than the last one: the confirming step and earlier ones are replays", async () => {
      const userId = newUser();
      await enrolled(userId, 1000);
      expect(await store.useStep(userId, 999)).toBe(false);
      expect(await store.useStep(userId, 1000)).toBe(false);
      expect(await store.useStep(userId, 1001)).toBe(true);
      expect(await store.useStep(userId, 1001)).toBe(false);
      expect(await store.useStep(userId, 1003)).toBe(true);
      expect(await store.useStep(userId, 1002)).toBe(false);
      expect((await store.find(userId))?.lastStep).toBe(1003);
    });

    test("concurrent uses of one step: exactly one succeeds", async () => {
      const userId = newUser();
      await enrolled(userId, 1000);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.useStep(userId, 1001)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    test("a recovery code works once, even when used concurrently; the others stay", async () => {
      const userId = newUser();
      const { recoveryCodes } = await enrolled(userId);
      const [first, second] = recoveryCodes as [string, string];
      const results = await Promise.all(Array.from({ length: 20 }, () => store.useRecoveryCode(userId, first)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.useRecoveryCode(userId, first)).toBe(false);
      expect(await store.useRecoveryCode(userId, opaque())).toBe(false);
      expect(sorted((await store.find(userId))!.recoveryCodes)).toEqual(sorted(recoveryCodes.slice(1)));
      expect(await store.useRecoveryCode(userId, second)).toBe(true);
      expect((await store.find(userId))!.recoveryCodes).toHaveLength(8);
    });

    test("replacing the recovery codes retires every old one", async () => {
      const userId = newUser();
      const { recoveryCodes } = await enrolled(userId);
      await store.useRecoveryCode(userId, recoveryCodes[0]!);
      const fresh = digests(10);
      expect(await store.replaceRecoveryCodes(userId, fresh)).toBe(true);
      expect(sorted((await store.find(userId))!.recoveryCodes)).toEqual(sorted(fresh));
      expect(await store.useRecoveryCode(userId, recoveryCodes[1]!)).toBe(false);
      expect(await store.useRecoveryCode(userId, fresh[0]!)).toBe(true);
    });

    test("a pending enrolment has no recovery codes to replace or use", async () => {
      const userId = newUser();
      await store.startEnrolment(userId, opaque(), 1);
      expect(await store.replaceRecoveryCodes(userId, digests(10))).toBe(false);
      expect((await store.find(userId))?.recoveryCodes).toEqual([]);
    });

    test("remove deletes the enrolment, codes and step; the user can then enrol again from scratch", async () => {
      const userId = newUser();
      const { recoveryCodes } = await enrolled(userId, 1000);
      expect(await store.remove(userId)).toBe(true);
      expect(await store.find(userId)).toBeUndefined();
      expect(await store.useRecoveryCode(userId, recoveryCodes[0]!)).toBe(false);
      const again = await enrolled(userId, 500); // steps start afresh with the new secret
      expect(await store.useStep(userId, 501)).toBe(true);
      expect(await store.useRecoveryCode(userId, again.recoveryCodes[0]!)).toBe(true);
    });

    test("code tries are counted per user; past maxFailures each try waits longer, and an accepted step clears them", async () => {
      const userId = newUser();
      const policy = { maxFailures: 3, lockMs: 60_000 };
      const t = 1_700_000_100_000;
      expect(await store.beginCodeAttempt(userId, t, policy)).toEqual({ allowed: true }); // not enrolled: nothing counted
      await enrolled(userId);
      for (let i = 0; i < 3; i++) expect(await store.beginCodeAttempt(userId, t, policy)).toEqual({ allowed: true });
      expect(await store.beginCodeAttempt(userId, t + 59_999, policy)).toEqual({ allowed: false, retryAt: t + 60_000 });
      expect(await store.beginCodeAttempt(userId, t + 60_000, policy)).toEqual({ allowed: true }); // the fourth try
      expect(await store.beginCodeAttempt(userId, t + 60_000 + 119_999, policy)).toEqual({ allowed: false, retryAt: t + 60_000 + 120_000 });
      expect(await store.useStep(userId, 2000)).toBe(true); // a right code: the tries are forgotten
      expect(await store.beginCodeAttempt(userId, t + 60_001, policy)).toEqual({ allowed: true });
      expect((await store.find(userId))?.confirmedAt).toBeDefined(); // the enrolment itself is untouched
    });

    test("codes sent to a pending sign-in are counted per sign-in; twenty more at once get the numbers two to twenty-one, each once", async () => {
      const t = 1_700_000_000_000;
      const [first, second] = [opaque(), opaque()];
      expect(await store.countSignInCode(first, t, t + 300_000)).toBe(1);
      expect(await store.countSignInCode(first, t + 1000, t + 300_000)).toBe(2);
      expect(await store.countSignInCode(second, t + 2000, t + 302_000)).toBe(1);
      const counts = await Promise.all(Array.from({ length: 20 }, () => store.countSignInCode(second, t + 3000, t + 302_000)));
      expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      expect(await store.countSignInCode(first, t + 4000, t + 300_000)).toBe(3);
    });

    test("codes by email are off at first, turn on and off per user, and leave the TOTP enrolment alone", async () => {
      const [alice, bob] = [newUser(), newUser()];
      expect(await store.emailCodesEnabled(alice)).toBe(false);
      await store.setEmailCodes(alice, true);
      await store.setEmailCodes(alice, true);
      expect(await store.emailCodesEnabled(alice)).toBe(true);
      expect(await store.emailCodesEnabled(bob)).toBe(false);
      expect(await store.find(alice)).toBeUndefined();
      await store.setEmailCodes(alice, false);
      expect(await store.emailCodesEnabled(alice)).toBe(false);
      await store.setEmailCodes(bob, false);
      expect(await store.emailCodesEnabled(bob)).toBe(false);
    });

    test("removing the TOTP enrolment keeps the choice of codes by email, and the choice keeps the enrolment", async () => {
      const userId = newUser();
      await enrolled(userId);
      await store.setEmailCodes(userId, true);
      expect((await store.find(userId))?.confirmedAt).toBeDefined();
      expect(await store.remove(userId)).toBe(true);
      expect(await store.emailCodesEnabled(userId)).toBe(true);
      await enrolled(userId);
      await store.setEmailCodes(userId, false);
      expect((await store.find(userId))?.confirmedAt).toBeDefined();
      expect(await store.emailCodesEnabled(userId)).toBe(false);
    });

    test("users do not share enrolments, steps or recovery codes", async () => {
      const alice = newUser();
      const bob = newUser();
      const aliceCodes = await enrolled(alice, 1000);
      await enrolled(bob, 1000);
      expect(await store.useStep(alice, 1001)).toBe(true);
      expect(await store.useStep(bob, 1001)).toBe(true);
      expect(await store.useRecoveryCode(bob, aliceCodes.recoveryCodes[0]!)).toBe(false);
      await store.remove(alice);
      expect(await store.find(bob)).toBeDefined();
    });
  });
}
