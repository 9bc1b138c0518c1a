// The public API of @portcullis/core: what a host app, or the author of a store for it, uses.
// What the other portcullis packages share among themselves is in ./internal.
export {
  ERROR_CODES,
  type ErrorCode,
  type PortcullisErrorOptions,
  PortcullisError,
  isPortcullisError,
} from "./errors";
export {
  type FormattedError,
  type ErrorFormatter,
  type ErrorResponseOptions,
  defaultErrorFormat,
  problemDetailsFormat,
  type PortcullisErrorHandlerOptions,
  portcullisErrorHandler,
  fromRequestError,
} from "./error-response";
export { type PortcullisFinalHandlersOptions, portcullisFinalHandlers } from "./final-handlers";
export { type Logger } from "./logger";
export { type HealthCheck, type HealthRoutesOptions, healthRoutes } from "./health-routes";
export { insufficientScope } from "./scope-refusal";
export { utf8Only } from "./utf8-only";
export {
  type ApiKeyPrincipal,
  type SessionPrincipal,
  type Principal,
  type PortcullisRequestState,
} from "./principal";
export { type KeyFormatOptions, KeyFormat } from "./key-format";
export {
  type KeyRateLimit,
  type KeyBudget,
  type KeyMetadata,
  type ApiKeyRecord,
  type StoredApiKey,
  type KeyStatus,
  keyStatus,
} from "./key-record";
export {
  type KeyRecordPatch,
  type KeyParent,
  type UpdateOptions,
  type UpdateOutcome,
  type DailyUsage,
  type UsageQuery,
  type KeyPage,
  type ListOptions,
  type KeyChangeListener,
  type KeyWatch,
  type KeyStore,
} from "./key-store";
export { type ScopeKind } from "./scope-grammar";
export { type ScopePolicyOptions, ScopePolicy } from "./scope-policy";
export {
  type KeyListStatus,
  type ApiKeysOptions,
  type CreateKeyInput,
  type ListKeysOptions,
  type CreatedKey,
  type RotatedKey,
  type VerificationFailure,
  type Verification,
  ApiKeys,
} from "./api-keys";
export { MemoryKeyStore } from "./memory-key-store";
export { type KeyCacheOptions } from "./verified-key-cache";
export { type UserRecord, type UserStore, type NewUser, type ProvisioningUserStore, type PasswordHasher } from "./user-store";
export { MemoryUserStore } from "./memory-user-store";
export { type LinkedIdentity, type IdentityStore, type UnlinkOutcome } from "./identity-store";
export { MemoryIdentityStore } from "./memory-identity-store";
export {
  type MfaEnrolment,
  type MfaConfirmation,
  type CodeAttemptPolicy,
  type CodeAttempt,
  type MfaStore,
} from "./mfa-store";
export { MemoryMfaStore } from "./memory-mfa-store";
export { type MailMessage, type Mailer, type OutboxMessage, type Outbox } from "./mailer";
export { MemoryOutbox } from "./memory-outbox";
export {
  type EmailTokenPurpose,
  type EmailToken,
  type EmailCodeIssue,
  type EmailCodeUse,
  type EmailTokenStore,
} from "./email-token-store";
export { MemoryEmailTokenStore } from "./memory-email-token-store";
export {
  AUDIT_ACTIONS,
  type AuditAction,
  type AuditOutcome,
  type AuditEvent,
  type StoredAuditEvent,
  type OwnedAuditQuery,
  type UnownedAuditQuery,
  type AuditQuery,
  type AuditPage,
  type AuditRecorder,
  type AuditSink,
} from "./audit-sink";
export {
  type MemoryAuditSinkOptions,
  MemoryAuditSink,
  type LoggerAuditSink,
  loggerAuditSink,
  teeAuditSink,
} from "./memory-audit-sink";
export { type AuditRetentionOptions } from "./audit-retention";
export { type IoredisLike } from "./ioredis-like";
export { DEFAULT_PREFIX } from "./prefix";
export { type LimiterSettings, type LimiterStore, MemoryLimiterStore } from "./limiter-store";
export { requireJsonBody } from "./request-body";
export {
  type SessionStorage,
  type SessionStorageSettings,
  type SessionStorageParts,
  type SessionStoreCalls,
  type TakingSessionStore,
  type SessionIndex,
} from "./session-storage";
