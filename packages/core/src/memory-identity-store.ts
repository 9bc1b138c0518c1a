import type { IdentityStore, LinkedIdentity, UnlinkOutcome } from "./identity-store";

/** The map key of an identity: the provider id cannot hold a NUL, so the pair is unambiguous. */
const keyOf = (provider: string, subject: string) => `${provider}\u0000${subject}`;

/** Linked identities in this process: the zero-setup default for development, tests and the demo. */
export class MemoryIdentityStore implements IdentityStore {
  readonly #byKey = new Map<string, LinkedIdentity>();

  async find(provider: string, subject: string): Promise<LinkedIdentity | undefined> {
    return this.#byKey.get(keyOf(provider, subject));
  }

  async listByUser(userId: string): Promise<LinkedIdentity[]> {
    return [...this.#byKey.values()].filter((identity) => identity.userId === userId).sort((a, b) => a.linkedAt - b.linkedAt);
  }

  async link(identity: LinkedIdentity): Promise<boolean> {
    const key = keyOf(identity.provider, identity.subject);
    if (this.#byKey.has(key)) return false;
    this.#byKey.set(key, { ...identity });
    return true;
  }

  async unlink(userId: string, provider: string, subject: string, options: { readonly keepOne?: boolean } = {}): Promise<UnlinkOutcome> {
    const key = keyOf(provider, subject);
    if (this.#byKey.get(key)?.userId !== userId) return "not_found";
    if (options.keepOne && (await this.listByUser(userId)).length <= 1) return "last";
    this.#byKey.delete(key);
    return "unlinked";
  }
}
