/** A key's own request rate: `points` requests per `durationSeconds`. */
export interface KeyRateLimit {
  readonly points: number;
  readonly durationSeconds: number;
}

/**
 * A rate-limit chain a key's requests also count under: one of the keys that made it (or rotated
 * it into being), by its rotation chain, and that key's own limit (absent: the host's default).
 */
export interface KeyBudget {
  readonly lineage: string;
  readonly rateLimit?: KeyRateLimit;
}

/** JSON values a host may attach to a key (a team, a ticket, a CI job). */
export type KeyMetadata = Readonly<Record<string, string | number | boolean | null>>;

/**
 * What is known about an API key. It never holds the key itself: only its masked `preview`.
 * Times are milliseconds since the epoch.
 */
export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly owner: string;
  readonly scopes: readonly string[];
  /** The one app (tenant, project) the key may be used on; absent for unbound keys. */
  readonly app?: string;
  /** The prefix and the first and last four characters, for display. */
  readonly preview: string;
  readonly createdAt: number;
  /** After this instant the key is refused with `expired_key`; absent keys never expire. */
  readonly expiresAt?: number;
  /** When the key was revoked; it is then refused with `revoked_key`. */
  readonly revokedAt?: number;
  readonly lastUsedAt?: number;
  readonly usageCount: number;
  readonly metadata: KeyMetadata;
  /** This key's own rate limit; absent keys get the host's default (`keyRateLimit`). */
  readonly rateLimit?: KeyRateLimit;
  /** The key this one replaced in a rotation. */
  readonly rotatedFrom?: string;
  /**
   * The id of the first key of the rotation chain this key belongs to, when it came from a
   * rotation: what is counted per key across rotations (its rate limit) is counted under it, so a
   * rotation never hands out a fresh allowance. Absent on a key never rotated into: its own id.
   * (A key rotated by a version before lineage existed starts its chain at its next rotation.)
   */
  readonly lineage?: string;
  /** The key that replaced this one; this one expires when the grace period ends. */
  readonly rotatedTo?: string;
  /** The key that made this one (absent when a person or the CLI did); kept through rotations. */
  readonly createdBy?: string;
  /**
   * The rotation chain (`lineage`) of the key that made this one: revoking that chain's current
   * key revokes this one, so a child goes with its creator even after the creator was rotated.
   */
  readonly createdUnder?: string;
  /**
   * The chains of the keys that made this one (or rotated it into being), nearest first: every
   * request also counts under each of them, so a key and everything it made share its allowance.
   */
  readonly countsUnder?: readonly KeyBudget[];
  /** The key whose revocation revoked this one (its chain, its creator, the creator's creator…). */
  readonly revokedWith?: string;
  /**
   * On a revoked key: the key that took its place, because that key (made under it) asked for
   * the revocation, as Plexe's rotation script does. Revoking this key again revokes that one.
   */
  readonly replacedBy?: string;
  /** On a key that took a revoked key's place: that key (its `replacedBy` is this one). */
  readonly replaces?: string;
  /**
   * On a key whose revocation was asked for: when that revocation finished revoking its chain and
   * everything the chain made. Absent while unfinished (a store failure part-way), so that asking
   * again finishes it, and only then.
   */
  readonly cascadedAt?: number;
}

/** A record as a store holds it: with the keyed hash under which it is found. */
export interface StoredApiKey extends ApiKeyRecord {
  readonly digest: string;
}

export type KeyStatus = "active" | "expired" | "revoked";

/** Revocation wins over expiry: a revoked key says so even after its expiry date. */
export function keyStatus(record: ApiKeyRecord, now: number): KeyStatus {
  if (record.revokedAt !== undefined) return "revoked";
  if (record.expiresAt !== undefined && record.expiresAt <= now) return "expired";
  return "active";
}
