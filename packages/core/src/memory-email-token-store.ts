import type { EmailCodeIssue, EmailCodeUse, EmailToken, EmailTokenPurpose, EmailTokenStore } from "./email-token-store";

interface KeptCode {
  digest: string | undefined;
  issuedAt: number;
  expiresAt: number;
  tries: number;
  /** When the cool-down ends, kept past the code's own end so a used code cannot be re-sent at once. */
  forgetAt: number;
}

/**
 * Emailed tokens and codes in this process, for development, tests and the demo. Each operation
 * runs to completion without awaiting, so it is atomic as the port requires; expired entries are
 * dropped as they are met and on each issue; nothing survives a restart.
 *
 * @example
 * authRouter({ users, email: emailFlows({ mailer: new MemoryOutbox(), tokens: new MemoryEmailTokenStore(), appUrl }) });
 */
export class MemoryEmailTokenStore implements EmailTokenStore {
  readonly #tokens = new Map<string, EmailToken>();
  readonly #codes = new Map<string, KeptCode>();

  async issue(digest: string, token: EmailToken): Promise<void> {
    this.#prune(token.issuedAt);
    this.#tokens.set(digest, { ...token });
  }

  async take(digest: string, purpose: EmailTokenPurpose, at: number): Promise<EmailToken | undefined> {
    const token = this.#tokens.get(digest);
    if (!token || token.purpose !== purpose) return undefined;
    this.#tokens.delete(digest);
    return at < token.expiresAt ? token : undefined;
  }

  async issueCode(key: string, digest: string, at: number, expiresAt: number, cooldownMs: number): Promise<EmailCodeIssue> {
    this.#prune(at);
    const last = this.#codes.get(key);
    if (last && at < last.issuedAt + cooldownMs) return { issued: false, retryAt: last.issuedAt + cooldownMs };
    this.#codes.set(key, { digest, issuedAt: at, expiresAt, tries: 0, forgetAt: Math.max(expiresAt, at + cooldownMs) });
    return { issued: true };
  }

  async useCode(key: string, digest: string, at: number, maxTries: number): Promise<EmailCodeUse> {
    const code = this.#codes.get(key);
    if (!code || code.digest === undefined || at >= code.expiresAt) return "spent";
    code.tries += 1;
    if (code.tries > maxTries) {
      code.digest = undefined;
      return "spent";
    }
    if (code.digest !== digest) return "rejected";
    code.digest = undefined;
    return "accepted";
  }

  #prune(now: number): void {
    for (const [digest, token] of this.#tokens) if (now >= token.expiresAt) this.#tokens.delete(digest);
    for (const [key, code] of this.#codes) if (now >= code.forgetAt) this.#codes.delete(key);
  }
}
