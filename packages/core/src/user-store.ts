/** A user as sessions see it. Never holds a password or its hash. */
export interface UserRecord {
  readonly id: string;
  readonly email: string;
  /** Maps to scopes through `sessionAuth`'s `roles`. */
  readonly role: string;
  /** When the password last changed, in milliseconds since the epoch. */
  readonly passwordChangedAt?: number;
  /**
   * True for an account made without a password (through a sign-in provider): it signs in only
   * through its linked identities, so the last of them cannot be unlinked. Absent means it has one.
   */
  readonly passwordless?: boolean;
}

/**
 * Where users live. Memory and Redis adapters ship with portcullis; a host plugs its own user
 * database in by implementing these four methods.
 */
export interface UserStore {
  findById(id: string): Promise<UserRecord | undefined>;
  /** Emails are compared trimmed and lower-cased. */
  findByEmail(email: string): Promise<UserRecord | undefined>;
  /**
   * The user with this email and password, or undefined. It must take the same time whether or
   * not the email exists (verify against a dummy hash), so timing does not reveal accounts.
   */
  verifyCredentials(email: string, password: string): Promise<UserRecord | undefined>;
  /** Sets a new password; false if there is no such user. */
  changePassword(userId: string, newPassword: string): Promise<boolean>;
}

/** A user to add: without `password`, the account is passwordless (see `UserRecord.passwordless`). */
export interface NewUser {
  readonly email: string;
  readonly password?: string;
  readonly role: string;
}

/**
 * A user store that can also add users and change their role: what sign-up through a provider
 * and single sign-on's just-in-time provisioning need. The shipped adapters are all of this kind.
 */
export interface ProvisioningUserStore extends UserStore {
  /** Adds a user. @throws PortcullisError `conflict` when the email is taken. */
  create(user: NewUser): Promise<UserRecord>;
  /** Sets the user's role; false if there is no such user. */
  setRole(userId: string, role: string): Promise<boolean>;
  /**
   * Changes the user's email (normalised as `findByEmail` compares it), once the new address is
   * proven; false if there is no such user.
   * @throws PortcullisError `conflict` when another user has the address, `invalid_request` when it is no address.
   */
  setEmail(userId: string, email: string): Promise<boolean>;
}

/** Hashes and checks passwords; `bcryptPasswords()` in `@portcullis/session-auth` is the default. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /** A hash of a random password, verified against when a user does not exist. */
  readonly dummyHash: string;
  /**
   * Refuses a password this hasher cannot store faithfully (bcrypt reads at most 72 bytes).
   * @throws PortcullisError `invalid_request` naming the rule.
   */
  assertStorable(password: string): void;
}

/**
 * Trimmed, Unicode-normalised, lower-cased: one account per address however it is typed. A lone
 * half of a surrogate pair becomes U+FFFD first, as UTF-8 storage (PostgreSQL, Redis) turns each
 * of the 2048 of them: otherwise each would be an address of its own to a counter kept in
 * JavaScript and the same address to the database.
 */
export function normalizeEmail(email: string): string {
  return email.toWellFormed().trim().normalize("NFKC").toLowerCase();
}
