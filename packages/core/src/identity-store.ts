/**
 * An account at a sign-in provider (Google, GitHub, a company's OpenID Provider) linked to a
 * portcullis user. The pair (provider, subject) is unique: one identity signs in one user.
 */
export interface LinkedIdentity {
  /** The provider's id as the app configured it, such as `"google"`, `"github"` or `"corp"`. */
  readonly provider: string;
  /** The provider's stable id for the account: the ID token's `sub`, GitHub's numeric user id. */
  readonly subject: string;
  readonly userId: string;
  /** The verified email the provider asserted when the identity was linked, for display. */
  readonly email?: string;
  /** When it was linked, in milliseconds since the epoch. */
  readonly linkedAt: number;
}

/** What `IdentityStore.unlink` did. */
export type UnlinkOutcome = "unlinked" | "not_found" | "last";

/**
 * Where linked identities live. `MemoryIdentityStore`, `RedisIdentityStore` and
 * `PostgresIdentityStore` implement it, checked by `describeIdentityStoreContract`; a host can
 * implement it over its own database.
 *
 * @example
 * const identities = new PostgresIdentityStore(pool); // @portcullis/postgres
 * app.use("/api/auth", authRouter({ users, oauth: oauthSignIn({ providers, identities, callbackBaseUrl }) }));
 */
export interface IdentityStore {
  /** The identity with this provider and subject, or undefined. */
  find(provider: string, subject: string): Promise<LinkedIdentity | undefined>;
  /** The user's identities, oldest link first. */
  listByUser(userId: string): Promise<LinkedIdentity[]>;
  /**
   * Links an identity to its user, atomically.
   * @returns false, writing nothing, when this (provider, subject) is already linked, to this
   *   user or another: two concurrent links of one identity cannot both succeed.
   * @throws PortcullisError `invalid_request` when provider, subject or user id is empty, a field
   *   holds text no store can keep as sent (U+0000, half a surrogate pair), or `linkedAt` is not
   *   whole milliseconds. Looking such text up finds nothing.
   */
  link(identity: LinkedIdentity): Promise<boolean>;
  /**
   * Removes one of the user's identities. With `keepOne`, refuses (`"last"`, nothing written) when
   * it is the user's only identity, checked atomically with the removal: two concurrent unlinks
   * of a passwordless user's two identities leave one.
   */
  unlink(userId: string, provider: string, subject: string, options?: { readonly keepOne?: boolean }): Promise<UnlinkOutcome>;
}
