import { randomBase62 } from "./base62";
import { PortcullisError } from "./errors";
import { normalizeEmail, type NewUser, type PasswordHasher, type ProvisioningUserStore, type UserRecord } from "./user-store";

// Without RFC 5322's specials: a mailer parses "x<m@evil.test>" or "ada@acme.test," as an address list
// and delivers to another mailbox than the one the account would hold (the address proven is not the one kept).
const EMAIL = /^[^\s@"(),:;<>[\]\\]{1,64}@[^\s@"(),:;<>[\]\\]{1,255}$/;
/** Control characters and half a surrogate pair: text a store cannot keep as it was sent (PostgreSQL refuses U+0000, UTF-8 has no half pair). */
const UNSTORABLE = /[\p{Cc}\p{Cs}]/u;

/** Checks an address a user is given (at creation, or by `setEmail`). @throws PortcullisError `invalid_request`. */
export function validateEmail(email: unknown): void {
  if (typeof email !== "string" || UNSTORABLE.test(email) || !EMAIL.test(normalizeEmail(email))) {
    throw new PortcullisError("invalid_request", "email: must be an email address");
  }
}

/** Checks a new user's email, the hasher's password rules and the role; shared by both adapters. */
export function validateNewUser(user: NewUser, passwords: PasswordHasher): void {
  validateEmail(user.email);
  if (typeof user.role !== "string" || user.role === "") throw new PortcullisError("invalid_request", "role: is required");
  if (user.password !== undefined) passwords.assertStorable(user.password);
}

/** A new user id: `usr_` and 16 base62 characters. */
export function newUserId(): string {
  return `usr_${randomBase62(16)}`;
}

/**
 * Users in this process: the zero-setup default for development, tests and the demo. Passwords
 * are hashed with the given hasher; nothing survives a restart.
 */
export class MemoryUserStore implements ProvisioningUserStore {
  readonly #passwords: PasswordHasher;
  readonly #byId = new Map<string, StoredUser>();
  readonly #idByEmail = new Map<string, string>();
  readonly #now: () => number;

  /** `now` stamps password changes; pass the clock sessions use, so they compare alike. */
  constructor(options: { readonly passwords: PasswordHasher; readonly now?: () => number }) {
    this.#passwords = options.passwords;
    this.#now = options.now ?? Date.now;
  }

  /** Adds a user, passwordless without `password`. @throws PortcullisError `conflict` when the email is taken. */
  async create(user: NewUser): Promise<UserRecord> {
    validateNewUser(user, this.#passwords);
    const email = normalizeEmail(user.email);
    const taken = () => new PortcullisError("conflict", "email: already registered");
    if (this.#idByEmail.has(email)) throw taken();
    const record: StoredUser =
      user.password === undefined
        ? { id: newUserId(), email, role: user.role, passwordless: true }
        : { id: newUserId(), email, role: user.role, passwordHash: await this.#passwords.hash(user.password) };
    // Checked again after the hash: a concurrent sign-up with this address may have finished meanwhile.
    if (this.#idByEmail.has(email)) throw taken();
    this.#byId.set(record.id, record);
    this.#idByEmail.set(email, record.id);
    return publicUser(record);
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    const user = this.#byId.get(id);
    return user && publicUser(user);
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const id = this.#idByEmail.get(normalizeEmail(email));
    return id === undefined ? undefined : this.findById(id);
  }

  async verifyCredentials(email: string, password: string): Promise<UserRecord | undefined> {
    const id = this.#idByEmail.get(normalizeEmail(email));
    const user = id === undefined ? undefined : this.#byId.get(id);
    // A passwordless user is checked against the dummy hash too, and never matches.
    const matches = await this.#passwords.verify(password, user?.passwordHash ?? this.#passwords.dummyHash);
    return matches && user?.passwordHash !== undefined ? publicUser(user) : undefined;
  }

  async changePassword(userId: string, newPassword: string): Promise<boolean> {
    const user = this.#byId.get(userId);
    if (!user) return false;
    this.#passwords.assertStorable(newPassword);
    const { passwordless: _none, ...rest } = user;
    this.#byId.set(userId, { ...rest, passwordHash: await this.#passwords.hash(newPassword), passwordChangedAt: this.#now() });
    return true;
  }

  async setRole(userId: string, role: string): Promise<boolean> {
    const user = this.#byId.get(userId);
    if (!user) return false;
    if (typeof role !== "string" || role === "") throw new PortcullisError("invalid_request", "role: is required");
    this.#byId.set(userId, { ...user, role });
    return true;
  }

  async setEmail(userId: string, email: string): Promise<boolean> {
    validateEmail(email);
    const user = this.#byId.get(userId);
    if (!user) return false;
    const normalized = normalizeEmail(email);
    const holder = this.#idByEmail.get(normalized);
    if (holder !== undefined && holder !== userId) throw new PortcullisError("conflict", "email: already registered");
    this.#idByEmail.delete(user.email);
    this.#idByEmail.set(normalized, userId);
    this.#byId.set(userId, { ...user, email: normalized });
    return true;
  }
}

/** A user as kept here: a passwordless one has no hash, and never matches a password. */
type StoredUser = UserRecord & { readonly passwordHash?: string };

function publicUser({ passwordHash: _hash, ...user }: StoredUser): UserRecord {
  return user;
}
