import { storeOperations } from "./telemetry";

// Every store call portcullis traces, by port: the span is named `<port>.<operation>` and
// carries `portcullis.store` and `portcullis.store.operation`, never an id or a key.

/** What `ApiKeys` asks of its `KeyStore` (`recordUse` only buffers, so it is no call; adapters' background writes are not traced). */
export const KEY_STORE = storeOperations("KeyStore", [
  "insert",
  "listCreatedUnder",
  "findByDigest",
  "findById",
  "listByOwner",
  "update",
  "reparent",
  "remove",
  "usage",
]);

/** What `sessionAuth`, `authRouter`, the second factor and OAuth sign-in ask of the `UserStore`. */
export const USER_STORE = storeOperations("UserStore", ["findById", "findByEmail", "verifyCredentials", "changePassword", "create", "setRole", "setEmail"]);

/** OAuth sign-in's calls on the `IdentityStore`. */
export const IDENTITY_STORE = storeOperations("IdentityStore", ["find", "listByUser", "link", "unlink"]);

/** express-session's calls on the session store, and the `take` that `authRouter` adds. */
export const SESSION_STORE = storeOperations("SessionStore", ["get", "set", "destroy", "touch", "take"]);

/** Each user's list of sessions. */
export const SESSION_INDEX = storeOperations("SessionIndex", ["add", "remove", "list"]);

/**
 * The rate limiters' counts in their `LimiterStore` (a count in the memory insurance is no store
 * call). An error the store's own insurance absorbs (rate-limiter-flexible's `insuranceLimiter`)
 * never reaches here; a count the request's deadline cut short is a `timeout`.
 */
export const LIMITER_STORE = storeOperations("LimiterStore", ["consume", "delete"]);

/** The access log read back (`record` only buffers, so it is no call). */
export const AUDIT_SINK = storeOperations("AuditSink", ["list"]);

/** The second factor's calls on the `MfaStore`. */
export const MFA_STORE = storeOperations("MfaStore", [
  "find",
  "startEnrolment",
  "confirm",
  "useStep",
  "useRecoveryCode",
  "replaceRecoveryCodes",
  "remove",
  "beginCodeAttempt",
  "countSignInCode",
  "emailCodesEnabled",
  "setEmailCodes",
]);

/** The email flows' and the email second factor's calls on the `EmailTokenStore`. */
export const EMAIL_TOKEN_STORE = storeOperations("EmailTokenStore", ["issue", "take", "issueCode", "useCode"]);

/** A message handed to the `Mailer` (off the request's path). */
export const MAILER = storeOperations("Mailer", ["send"]);
