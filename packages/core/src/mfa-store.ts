/**
 * One user's second factor: a TOTP secret, sealed (encrypted) by the router before it is stored,
 * and once confirmed, the digests of the recovery codes still unused. The store never sees a
 * secret or a recovery code in the clear.
 */
export interface MfaEnrolment {
  /** The TOTP secret, sealed with the server's key; only the router can open it. */
  readonly secret: string;
  /** When the enrolment was started (the secret made), in ms since the epoch. */
  readonly startedAt: number;
  /** When a first valid code confirmed it; absent while the enrolment is pending. */
  readonly confirmedAt?: number;
  /** HMAC digests of the unused recovery codes; empty while pending. */
  readonly recoveryCodes: readonly string[];
  /** The last TOTP time step accepted: a code of this step or an earlier one is a replay. */
  readonly lastStep?: number;
}

/** What confirming an enrolment writes, and the secret it must still hold. */
export interface MfaConfirmation {
  /** The sealed secret the code was checked against: a newer enrolment started meanwhile wins. */
  readonly secret: string;
  readonly recoveryCodes: readonly string[];
  readonly at: number;
  /** The time step of the confirming code, recorded so that code cannot sign in afterwards. */
  readonly step: number;
}

/** The account-wide limit on TOTP guesses, whatever the IP or the sign-in they come through. */
export interface CodeAttemptPolicy {
  /** Codes tried in a row without a right one before each further try must wait. */
  readonly maxFailures: number;
  /** The wait after the last try once past `maxFailures`; it grows by this much with each further try. */
  readonly lockMs: number;
}

/** Whether a code may be checked now, and if not, from when. */
export type CodeAttempt = { readonly allowed: true } | { readonly allowed: false; readonly retryAt: number };

/**
 * Where second factors live, per user. Every operation that guards a sign-in is atomic, so two
 * requests with one code, or one recovery code, cannot both succeed. `MemoryMfaStore` and
 * `RedisMfaStore` implement it, checked by `describeMfaStoreContract`; a host can implement it
 * over its own database.
 *
 * @example
 * const mfa = totpSecondFactor({ store: new RedisMfaStore(redis), encryptionKey: process.env.MFA_ENCRYPTION_KEY!, issuer: "Acme" }); // @portcullis/mfa
 * app.use("/api/auth", authRouter({ users, mfa }));
 */
export interface MfaStore {
  /** The user's enrolment, pending or confirmed, or undefined. */
  find(userId: string): Promise<MfaEnrolment | undefined>;
  /**
   * Starts an enrolment with a new sealed secret, replacing a pending one.
   * @returns false, changing nothing, when the user already has a confirmed enrolment.
   */
  startEnrolment(userId: string, sealedSecret: string, at: number): Promise<boolean>;
  /**
   * Activates the pending enrolment whose secret is `confirmation.secret`, with its recovery
   * codes and the step of the confirming code.
   * @returns false, changing nothing, when there is no such pending enrolment.
   */
  confirm(userId: string, confirmation: MfaConfirmation): Promise<boolean>;
  /**
   * The replay guard: records `step` and returns true only if the enrolment is confirmed and
   * `step` is later than the last one accepted; a step accepted is a right code, so the code
   * tries in a row (`beginCodeAttempt`) are forgotten with it. Atomic.
   */
  useStep(userId: string, step: number): Promise<boolean>;
  /** Removes the recovery code with this digest; true once, false ever after. Atomic. */
  useRecoveryCode(userId: string, digest: string): Promise<boolean>;
  /** Replaces every recovery code of a confirmed enrolment; false when there is none. */
  replaceRecoveryCodes(userId: string, digests: readonly string[]): Promise<boolean>;
  /** Deletes the enrolment, pending or confirmed; true if there was one. */
  remove(userId: string): Promise<boolean>;
  /**
   * Counts a TOTP code about to be checked against a confirmed enrolment, before it is checked,
   * so concurrent guesses cannot overshoot. Past `policy.maxFailures` tries in a row, a try
   * earlier than `lockMs` × (tries − maxFailures + 1) after the last one is refused and not
   * counted. Users without a confirmed enrolment are always allowed and nothing is written. Atomic.
   */
  beginCodeAttempt(userId: string, at: number, policy: CodeAttemptPolicy): Promise<CodeAttempt>;
  /**
   * Counts a code sent to finish one pending sign-in (`signInId`, random), before it is checked,
   * and returns how many have been counted for that sign-in, this one included. Concurrent codes
   * get distinct numbers, so a cap on them holds however many arrive at once. The count may be
   * forgotten from `expiresAt` on, when the sign-in can no longer be finished. Atomic.
   */
  countSignInCode(signInId: string, at: number, expiresAt: number): Promise<number>;
  /** Whether the user chose codes by email as a second factor (beside or instead of TOTP). */
  emailCodesEnabled(userId: string): Promise<boolean>;
  /** Turns codes by email on or off for the user; independent of the TOTP enrolment, which `remove` deletes. */
  setEmailCodes(userId: string, enabled: boolean): Promise<void>;
}
