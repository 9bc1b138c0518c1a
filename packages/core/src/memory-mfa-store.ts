import type { CodeAttempt, CodeAttemptPolicy, MfaConfirmation, MfaEnrolment, MfaStore } from "./mfa-store";

interface Entry {
  secret: string;
  startedAt: number;
  confirmedAt?: number;
  recoveryCodes: Set<string>;
  lastStep?: number;
  codeAttempts?: number;
  lastCodeAttemptAt?: number;
}

/**
 * Second factors in this process, for development, tests and the demo. Each operation runs to
 * completion without awaiting, so it is atomic as the port requires; nothing survives a restart.
 *
 * @example
 * authRouter({ users, mfa: totpSecondFactor({ store: new MemoryMfaStore(), encryptionKey, issuer: "Acme" }) });
 */
export class MemoryMfaStore implements MfaStore {
  readonly #byUser = new Map<string, Entry>();
  /** Codes counted per pending sign-in, oldest sign-in first (they expire in about that order). */
  readonly #signInCodes = new Map<string, { count: number; expiresAt: number }>();
  /** The users who chose codes by email. */
  readonly #emailCodes = new Set<string>();

  async find(userId: string): Promise<MfaEnrolment | undefined> {
    const entry = this.#byUser.get(userId);
    if (!entry) return undefined;
    return {
      secret: entry.secret,
      startedAt: entry.startedAt,
      recoveryCodes: [...entry.recoveryCodes],
      ...(entry.confirmedAt === undefined ? {} : { confirmedAt: entry.confirmedAt }),
      ...(entry.lastStep === undefined ? {} : { lastStep: entry.lastStep }),
    };
  }

  async startEnrolment(userId: string, sealedSecret: string, at: number): Promise<boolean> {
    if (this.#byUser.get(userId)?.confirmedAt !== undefined) return false;
    this.#byUser.set(userId, { secret: sealedSecret, startedAt: at, recoveryCodes: new Set() });
    return true;
  }

  async confirm(userId: string, { secret, recoveryCodes, at, step }: MfaConfirmation): Promise<boolean> {
    const entry = this.#byUser.get(userId);
    if (!entry || entry.confirmedAt !== undefined || entry.secret !== secret) return false;
    Object.assign(entry, { confirmedAt: at, lastStep: step, recoveryCodes: new Set(recoveryCodes) });
    return true;
  }

  async useStep(userId: string, step: number): Promise<boolean> {
    const entry = this.#byUser.get(userId);
    if (entry?.confirmedAt === undefined || step <= (entry.lastStep ?? -1)) return false;
    entry.lastStep = step;
    delete entry.codeAttempts;
    return true;
  }

  async useRecoveryCode(userId: string, digest: string): Promise<boolean> {
    const entry = this.#byUser.get(userId);
    return entry?.confirmedAt !== undefined && entry.recoveryCodes.delete(digest);
  }

  async replaceRecoveryCodes(userId: string, digests: readonly string[]): Promise<boolean> {
    const entry = this.#byUser.get(userId);
    if (entry?.confirmedAt === undefined) return false;
    entry.recoveryCodes = new Set(digests);
    return true;
  }

  async remove(userId: string): Promise<boolean> {
    return this.#byUser.delete(userId);
  }

  async beginCodeAttempt(userId: string, at: number, { maxFailures, lockMs }: CodeAttemptPolicy): Promise<CodeAttempt> {
    const entry = this.#byUser.get(userId);
    if (entry?.confirmedAt === undefined) return { allowed: true };
    const tries = entry.codeAttempts ?? 0;
    if (tries >= maxFailures) {
      const retryAt = (entry.lastCodeAttemptAt ?? 0) + lockMs * (tries - maxFailures + 1);
      if (at < retryAt) return { allowed: false, retryAt };
    }
    entry.codeAttempts = tries + 1;
    entry.lastCodeAttemptAt = at;
    return { allowed: true };
  }

  async countSignInCode(signInId: string, at: number, expiresAt: number): Promise<number> {
    for (const [id, { expiresAt: end }] of this.#signInCodes) {
      if (at < end) break;
      this.#signInCodes.delete(id);
    }
    const counted = this.#signInCodes.get(signInId);
    if (counted && at < counted.expiresAt) return ++counted.count;
    this.#signInCodes.set(signInId, { count: 1, expiresAt });
    return 1;
  }

  async emailCodesEnabled(userId: string): Promise<boolean> {
    return this.#emailCodes.has(userId);
  }

  async setEmailCodes(userId: string, enabled: boolean): Promise<void> {
    if (enabled) this.#emailCodes.add(userId);
    else this.#emailCodes.delete(userId);
  }
}
