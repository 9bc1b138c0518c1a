export * from "./errors";
export * from "./error-response";
export { portcullisFinalHandlers, type PortcullisFinalHandlersOptions } from "./final-handlers";
export { resolveLogger, type Logger } from "./logger";
export { healthRoutes, type HealthCheck, type HealthRoutesOptions } from "./health-routes";
export * from "./challenge";
export { insufficientScope } from "./scope-refusal";
export { utf8Only } from "./utf8-only";
export type * from "./principal";
export * from "./base62";
export * from "./key-format";
export * from "./key-hasher";
export * from "./key-record";
export * from "./key-store";
export * from "./scope-grammar";
export * from "./scope-policy";
export * from "./api-keys";
export * from "./memory-key-store";
export * from "./verified-key-cache";
export { requestState } from "./request-state";
export * from "./unauthenticated";
export * from "./user-store";
export * from "./memory-user-store";
export * from "./mfa-store";
export * from "./memory-mfa-store";
export * from "./audit-sink";
export * from "./memory-audit-sink";
export { AUDIT_RETENTION_OPTIONS, resolveAuditRetention, type AuditRetention, type AuditRetentionOptions } from "./audit-retention";
export * from "./rate-limit-headers";
export * from "./ioredis-like";
export * from "./store-guard";
export * from "./frozen-memo";
export * from "./fail-over";
export { DEFAULT_PREFIX } from "./prefix";
export { MemoryLimiterStore, isLimiterStore, type LimiterSettings, type LimiterStore } from "./limiter-store";
export { insuredLimiter, limiterDeadline, REPLACED_LIMITER_OPTIONS, resolveLimiterStore, type InsuredLimiter, type LimiterCount } from "./insured-limiter";
export * from "./login-outcome";
export * from "./audit-actor";
export * from "./options";
export * from "./request-schema";
export { hasRequestBody, jsonBodyRequired, requireJsonBody } from "./request-body";
export { isSafeMethod } from "./safe-method";
export {
  SessionCreations,
  SessionGone,
  type SessionIndex,
  type SessionStorage,
  type SessionStorageParts,
  type SessionStorageSettings,
  type SessionStoreCalls,
  type TakingSessionStore,
} from "./session-storage";
