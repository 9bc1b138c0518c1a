import { PortcullisError } from "./errors";
import type { IdentityStore, LinkedIdentity, UnlinkOutcome } from "./identity-store";

/**
 * U+0000 and half a surrogate pair: text a store cannot keep as it was sent (PostgreSQL refuses
 * U+0000; UTF-8, in PostgreSQL and Redis alike, turns half a pair into U+FFFD).
 */
const UNSTORABLE = /[\u0000\p{Cs}]/u;

/** Whether every value can be stored as it is: no linked identity holds one that cannot, so a lookup by one finds nothing. */
export function isStorableIdentityText(...values: readonly string[]): boolean {
  return values.every((value) => typeof value === "string" && !UNSTORABLE.test(value));
}

/**
 * Checks an identity to link, the same for every adapter: non-empty provider, subject and user
 * id, an optional email, all storable text, and a time in milliseconds.
 * @throws PortcullisError `invalid_request` naming the field.
 */
export function validateIdentity(identity: LinkedIdentity): void {
  const refuse = (field: string, rule: string) => new PortcullisError("invalid_request", `${field}: ${rule}`);
  for (const field of ["provider", "subject", "userId"] as const) {
    const value: unknown = identity?.[field];
    if (typeof value !== "string" || value === "") throw refuse(field, "is required");
    if (!isStorableIdentityText(value)) throw refuse(field, "must not hold U+0000 or half a surrogate pair");
  }
  if (identity.email !== undefined && (typeof identity.email !== "string" || !isStorableIdentityText(identity.email))) {
    throw refuse("email", "must be text without U+0000 or half a surrogate pair");
  }
  if (!Number.isSafeInteger(identity.linkedAt) || identity.linkedAt < 0) throw refuse("linkedAt", "must be milliseconds since the epoch");
}

/** The map key of an identity: neither part can hold a NUL, so the pair is unambiguous. */
const keyOf = (provider: string, subject: string) => `${provider}\u0000${subject}`;

/** Only the fields of the port, copied: nothing a caller holds is shared with the store. */
function copyOf({ provider, subject, userId, email, linkedAt }: LinkedIdentity): LinkedIdentity {
  return email === undefined ? { provider, subject, userId, linkedAt } : { provider, subject, userId, email, linkedAt };
}

/** Linked identities in this process: the zero-setup default for development, tests and the demo. */
export class MemoryIdentityStore implements IdentityStore {
  readonly #byKey = new Map<string, LinkedIdentity>();

  async find(provider: string, subject: string): Promise<LinkedIdentity | undefined> {
    const identity = this.#byKey.get(keyOf(provider, subject));
    return identity && copyOf(identity);
  }

  async listByUser(userId: string): Promise<LinkedIdentity[]> {
    return this.#ofUser(userId).map(copyOf);
  }

  async link(identity: LinkedIdentity): Promise<boolean> {
    validateIdentity(identity);
    const key = keyOf(identity.provider, identity.subject);
    if (this.#byKey.has(key)) return false;
    this.#byKey.set(key, copyOf(identity));
    return true;
  }

  async unlink(userId: string, provider: string, subject: string, options: { readonly keepOne?: boolean } = {}): Promise<UnlinkOutcome> {
    const key = keyOf(provider, subject);
    if (this.#byKey.get(key)?.userId !== userId) return "not_found";
    if (options.keepOne && this.#ofUser(userId).length <= 1) return "last";
    this.#byKey.delete(key);
    return "unlinked";
  }

  /** The user's identities as stored, oldest first (a stable sort: links in one millisecond keep their order). */
  #ofUser(userId: string): LinkedIdentity[] {
    return [...this.#byKey.values()].filter((identity) => identity.userId === userId).sort((a, b) => a.linkedAt - b.linkedAt);
  }
}
