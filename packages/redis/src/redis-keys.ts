import { DEFAULT_PREFIX } from "@portcullis/core";

/**
 * Every Redis key portcullis writes is named here, and nowhere else.
 *
 * | key                               | type   | holds                                              |
 * | --------------------------------- | ------ | -------------------------------------------------- |
 * | `<prefix>key:<id>`                | hash   | an API-key record; its id is cut from the key's HMAC digest (`keyIdOf`) |
 * | `<prefix>key-changes`             | pub/sub channel | the digest of each key changed or removed, for caches |
 * | `<prefix>owner-keys:<owner>`      | zset   | an owner's key ids, scored by creation time        |
 * | `<prefix>app-keys:["<owner>","<app>"]` | zset | the ids of an owner's keys bound to one app      |
 * | `<prefix>made-under:<lineage>`    | set    | the ids of the keys made by a key of this rotation chain, revoked with it |
 * | `<prefix>usage:["<owner>","<day>"]` | hash | requests on a UTC day per key id, and "*" in all  |
 * | `<prefix>key-rate:<window>:<id>`  | string | a key's request count over a window of seconds (rate-limiter-flexible) |
 * | `<prefix>user:<id>`               | hash   | a user: email, role, bcrypt hash (or `passwordless`) |
 * | `<prefix>user-email:<email>`      | string | the id of the user with this (normalised) email    |
 * | `<prefix>{identities}:by-subject` | hash   | every linked sign-in identity: field `["<provider>","<subject>"]` (JSON), value `{"userId","email","linkedAt"}` (JSON) |
 * | `<prefix>{identities}:user:<id>`  | zset   | a user's identities (the fields above), scored by when each was linked |
 * | `<prefix>mfa:<user id>`           | hash   | a user's second factor: sealed TOTP secret, times, last step, `rc:<digest>` per recovery code |
 * | `<prefix>mfa-sign-in:<id>`        | string | codes sent to one pending sign-in (random id); expires with it |
 * | `<prefix>mfa-email-codes:<user id>` | string | "1" while the user has chosen codes by email as a second factor; apart from `mfa:<user id>`, which removing TOTP deletes |
 * | `<prefix>email-token:<digest>`    | string | an emailed link's token as JSON (purpose, email, user, role, times), by the digest of the token; expires with it |
 * | `<prefix>email-code:<key>`        | hash   | the email code of a pending sign-in or a user: digest, issued, expires, tries; kept until its cool-down is over too |
 * | `<prefix>outbox`                  | list   | the outbox's messages as JSON, newest first, trimmed to its capacity |
 * | `<prefix>sess:<sid>`              | string | an express-session session (connect-redis)         |
 * | `<prefix>user-sessions:<id>`      | zset   | a user's session ids, scored by when they may go   |
 * | `<prefix>{audit}:owner:<owner>`    | stream | one owner's access log (owner JSON-encoded), capped by count and age |
 * | `<prefix>{audit}:unowned`         | stream | access-log events of no owner (unknown keys, failed logins), capped apart |
 * | `<prefix>{audit}:overview`        | stream | every owner's events together, for all-owners readers, capped |
 * | `<prefix>login-fails:[ip,user]`   | string | failed logins in a row (rate-limiter-flexible)     |
 * | `<prefix>login-ip:<ip>`           | string | failed logins from an IP today (rate-limiter-flexible) |
 *
 * The rate limiters' counters (`key-rate`, `login-fails`, `login-ip`) are written by
 * `RedisLimiterStore` under `limiter(name)`, the name each middleware gives its limiters (they do
 * not depend on this package); rate-limiter-flexible adds `:<id>`. `loginRedisKeys` in
 * `@portcullis/login-rate-limit` spells a login counter's whole key for operators.
 *
 * Every command touches a single key, or keys sharing a hash tag: the access log's streams all
 * carry `{audit}`, so one script writes a batch to them on one Cluster slot, and the identity keys
 * all carry `{identities}`, so linking and unlinking are each one script over both of their keys. Creating a
 * key writes its indexes (`made-under` included) before its record, so a failure part-way leaves at worst an index entry
 * that resolves to nothing, never a key that authenticates but cannot be listed or revoked.
 * Creating a user writes the user before claiming the email, so a failure part-way leaves the
 * address free, never an email claimed by a user that does not exist.
 */
export class RedisKeys {
  constructor(readonly prefix: string = DEFAULT_PREFIX) {}

  /** What starts a rate limiter's counters (rate-limiter-flexible's `keyPrefix`); it adds `:<id>`. */
  limiter(name: string): string {
    return `${this.prefix}${name}`;
  }

  apiKeyRecord(id: string): string {
    return `${this.prefix}key:${id}`;
  }

  /** The channel on which every change to a key is announced (its digest). */
  keyChanges(): string {
    return `${this.prefix}key-changes`;
  }

  /** The keys made by a key of one rotation chain (its `lineage`), read when that chain is revoked. */
  createdUnder(lineage: string): string {
    return `${this.prefix}made-under:${lineage}`;
  }

  ownerKeys(owner: string): string {
    return `${this.prefix}owner-keys:${owner}`;
  }

  /** JSON-encoded, as `appKeys`, so no owner and day can spell another pair's key. */
  usageDay(owner: string, day: string): string {
    return `${this.prefix}usage:${JSON.stringify([owner, day])}`;
  }

  user(id: string): string {
    return `${this.prefix}user:${id}`;
  }

  userByEmail(normalizedEmail: string): string {
    return `${this.prefix}user-email:${normalizedEmail}`;
  }

  /** Every linked identity, one field each: `link` claims a field with HSETNX, so one identity is linked once. */
  identities(): string {
    return `${this.prefix}{identities}:by-subject`;
  }

  /** A user's identities; shares `{identities}` with `identities()`, so one script changes both on one Cluster slot. */
  userIdentities(userId: string): string {
    return `${this.prefix}{identities}:user:${userId}`;
  }

  /** One hash per user, so every MFA operation touches a single key (one Cluster slot). */
  mfa(userId: string): string {
    return `${this.prefix}mfa:${userId}`;
  }

  /** The codes counted for one pending sign-in; its id is random, so one key per sign-in. */
  mfaSignIn(signInId: string): string {
    return `${this.prefix}mfa-sign-in:${signInId}`;
  }

  /** Apart from `mfa(userId)`, which `remove` deletes with the TOTP enrolment; the choice outlives it. */
  mfaEmailCodes(userId: string): string {
    return `${this.prefix}mfa-email-codes:${userId}`;
  }

  /** One key per emailed token, named by its digest, so `take` is one script on one key. */
  emailToken(digest: string): string {
    return `${this.prefix}email-token:${digest}`;
  }

  /** One hash per code key (a pending sign-in's, a user's): `issueCode` and `useCode` are one script on it. */
  emailCode(key: string): string {
    return `${this.prefix}email-code:${key}`;
  }

  /** The outbox's one list, trimmed as it is pushed to. */
  outbox(): string {
    return `${this.prefix}outbox`;
  }

  userSessions(userId: string): string {
    return `${this.prefix}user-sessions:${userId}`;
  }

  /** JSON-encoded, so no owner can spell another log's key. */
  auditOwner(owner: string): string {
    return `${this.prefix}{audit}:owner:${JSON.stringify(owner)}`;
  }

  auditUnowned(): string {
    return `${this.prefix}{audit}:unowned`;
  }

  auditOverview(): string {
    return `${this.prefix}{audit}:overview`;
  }

  /** connect-redis appends the session id to this prefix. */
  get sessionPrefix(): string {
    return `${this.prefix}sess:`;
  }

  /** JSON-encoded, so no owner and app can spell another pair's key (`a:b`+`c` vs `a`+`b:c`). */
  appKeys(owner: string, app: string): string {
    return `${this.prefix}app-keys:${JSON.stringify([owner, app])}`;
  }
}

