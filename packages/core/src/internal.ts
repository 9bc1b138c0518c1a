// For the other portcullis packages only (`@portcullis/core/internal`): the plumbing they share
// (option checks, error responders, store guards, limiter and audit helpers). Not public API; it
// changes without notice.
export { configError } from "./errors";
export { type ErrorResponder, createErrorResponder, errorOptionsOf } from "./error-response";
export { challenge } from "./challenge";
export { BASE62_ALPHABET, randomBase62, encodeBase62 } from "./base62";
export { KEY_RANDOM_LENGTH, KEY_CHECKSUM_LENGTH } from "./key-format";
export { MIN_SECRET_BYTES, KeyHasher, keyIdOf } from "./key-hasher";
export { USAGE_RETENTION_DAYS, utcDay, lastDays } from "./key-store";
export { type KeyUse, type KeyUseWriter, UsageBuffer } from "./usage-buffer";
export { MAX_SCOPE_LENGTH, scopeKind, scopeGrants, isWildcard, challengeableScopes } from "./scope-grammar";
export { ANY_ENDPOINT, isScopePolicy } from "./scope-policy";
export {
  MAX_KEY_NAME_LENGTH,
  MAX_PAGE_SIZE,
  MAX_RATE_LIMIT_POINTS,
  RATE_LIMIT_WINDOWS,
  MAX_KEY_DEPTH,
  KEY_LIST_STATUSES,
  KEY_ID_PATTERN,
  rateLimitProblem,
  isApiKeys,
} from "./api-keys";
export { VerifiedKeyCache } from "./verified-key-cache";
export { requestState } from "./request-state";
export { markSessionExpired, unauthenticated } from "./unauthenticated";
export { normalizeEmail } from "./user-store";
export { validateNewUser, validateEmail, newUserId } from "./memory-user-store";
export { isMailer, isMailMessage } from "./mailer";
export { OUTBOX_CAPACITY } from "./memory-outbox";
export { validateIdentity, isStorableIdentityText } from "./memory-identity-store";
export {
  sanitizeAuditEvent,
  matchesAuditQuery,
  parseAuditId,
  assertAuditQuery,
  type AuditEventInit,
  auditEventFromRequest,
} from "./audit-sink";
export { type AuditRetention, auditRetentionOptions, REPLACED_AUDIT_RETENTION_OPTIONS } from "./audit-retention";
export { type AuditBatchWriter, type AuditBufferOptions, AuditBuffer } from "./audit-buffer";
export {
  type RateLimitQuota,
  type RateLimitStatus,
  formatWindow,
  policyName,
  retryAfterSeconds,
  rateLimitHeaders,
} from "./rate-limit-headers";
export { isIoredisLike } from "./ioredis-like";
export { DEFAULT_STORE_TIMEOUT_MS, storeUnavailable, storeTimeout, storeFailureType, guardStore, callStore } from "./store-guard";
export {
  TELEMETRY_SCOPE,
  METRICS,
  TELEMETRY_ATTRIBUTES,
  type AuthMiddleware,
  type CredentialType,
  type AuthOutcome,
  type StorePort,
  type StoreOperation,
  storeOperations,
  type AuthOutcomeRecorder,
  authOutcomeRecorder,
  recordKeyVerification,
  recordKeyCacheLookup,
  type StoreCallTrace,
  startStoreCall,
} from "./telemetry";
export { KEY_STORE, USER_STORE, SESSION_STORE, SESSION_INDEX, LIMITER_STORE, AUDIT_SINK, MFA_STORE, IDENTITY_STORE, EMAIL_TOKEN_STORE, MAILER } from "./store-operations";
export { traceSessionStore } from "./traced-session-store";
export { type Deadline, startDeadline, failOverBy } from "./fail-over";
export { isLimiterStore } from "./limiter-store";
export {
  type LimiterCount,
  type InsuredLimiter,
  insuredLimiter,
  limiterDeadline,
  REPLACED_LIMITER_OPTIONS,
} from "./insured-limiter";
export { markPasswordAccepted, isPasswordAccepted } from "./login-outcome";
export { auditActor } from "./audit-actor";
export {
  resolveOptions,
  wholeNumber,
  checked,
  functionOption,
  errorResponseOptions,
  realmOption,
  timeoutMsOption,
  limiterStoreOption,
  loggerOption,
} from "./option-schema";
export { type RequestSchema, parseRequest } from "./request-schema";
export { hasRequestBody, jsonBodyRequired, parsedBody } from "./request-body";
export { asyncHandler } from "./async-handler";
export { isSafeMethod } from "./safe-method";
export { SessionGone, SessionCreations } from "./session-storage";
export { OutageLog } from "./outage-log";
