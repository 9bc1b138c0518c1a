// What a host app uses, by name: the middlewares and routers, the key service and its stores, the
// error model and the final handlers. Everything else stays in the @portcullis/* package that
// owns it (its README lists it), so that it can change without breaking apps that import this.

// Errors, and the handlers that answer every error as JSON.
export {
  ERROR_CODES,
  PortcullisError,
  isPortcullisError,
  fromRequestError,
  problemDetailsFormat,
  portcullisErrorHandler,
  portcullisFinalHandlers,
  healthRoutes,
  requireJsonBody,
  utf8Only,
  type ErrorCode,
  type ErrorFormatter,
  type ErrorResponseOptions,
  type HealthCheck,
  type HealthRoutesOptions,
  type Logger,
  type PortcullisErrorHandlerOptions,
  type PortcullisFinalHandlersOptions,
  type Principal,
  type ApiKeyPrincipal,
  type SessionPrincipal,
} from "@portcullis/core";

// API keys: the service, scopes, and the stores in memory (keys, users, factors, linked identities, the log, rate-limit counts, emailed tokens, the outbox).
export {
  ApiKeys,
  KeyFormat,
  ScopePolicy,
  keyStatus,
  MemoryKeyStore,
  MemoryUserStore,
  MemoryMfaStore,
  MemoryIdentityStore,
  MemoryAuditSink,
  MemoryLimiterStore,
  MemoryEmailTokenStore,
  MemoryOutbox,
  loggerAuditSink,
  teeAuditSink,
  type ApiKeysOptions,
  type ApiKeyRecord,
  type CreateKeyInput,
  type CreatedKey,
  type RotatedKey,
  type KeyStatus,
  type KeyStore,
  type UserStore,
  type MfaStore,
  type IdentityStore,
  type LinkedIdentity,
  type SessionStorage,
  type SessionIndex,
  type AuditSink,
  type AuditEvent,
  type LimiterStore,
  type EmailTokenStore,
  type Mailer,
  type Outbox,
  type ScopePolicyOptions,
} from "@portcullis/core";

// The same stores on Redis, and the connection's health.
export {
  RedisKeyStore,
  RedisUserStore,
  RedisMfaStore,
  RedisIdentityStore,
  RedisAuditSink,
  RedisLimiterStore,
  RedisEmailTokenStore,
  RedisOutbox,
  redisSessionStorage,
  watchRedisConnection,
  redisPing,
  type RedisKeyStoreOptions,
  type RedisUserStoreOptions,
  type RedisMfaStoreOptions,
  type RedisIdentityStoreOptions,
  type RedisAuditSinkOptions,
  type RedisLimiterStoreOptions,
  type RedisEmailTokenStoreOptions,
  type RedisOutboxOptions,
  type RedisSessionStorageOptions,
  type WatchRedisConnectionOptions,
} from "@portcullis/redis";

// The same records in PostgreSQL (keys, users, second factors, linked identities, emailed tokens, the outbox, the log,
// sessions and rate-limit counts), their migrations and the database's health. pg is an optional peer: nothing here loads
// it until a Pool is passed in.
export {
  migrate,
  PostgresKeyStore,
  PostgresUserStore,
  PostgresMfaStore,
  PostgresIdentityStore,
  PostgresAuditSink,
  PostgresLimiterStore,
  PostgresEmailTokenStore,
  PostgresOutbox,
  postgresSessionStorage,
  postgresPing,
  watchPostgresPool,
  type MigrateOptions,
  type MigrateResult,
  type PostgresKeyStoreOptions,
  type PostgresUserStoreOptions,
  type PostgresMfaStoreOptions,
  type PostgresIdentityStoreOptions,
  type PostgresAuditSinkOptions,
  type PostgresLimiterStoreOptions,
  type PostgresEmailTokenStoreOptions,
  type PostgresOutboxOptions,
  type PostgresSessionStorageOptions,
  type PostgresPoolWatch,
  type WatchPostgresPoolOptions,
} from "@portcullis/postgres";

export { apiKeyAuth, keyRateLimit, type ApiKeyAuthOptions, type KeyRateLimitOptions } from "@portcullis/api-key-auth";

export {
  requireScope,
  requireAnyScope,
  scopeGuards,
  requireRecentAuth,
  requireApp,
  endpoint,
  type RequireScopeOptions,
  type RequireRecentAuthOptions,
  type RequireAppOptions,
} from "@portcullis/require-scope";

export { apiKeysRouter, accessLogRouter, type ApiKeysRouterOptions, type AccessLogRouterOptions } from "@portcullis/api-keys-router";

export {
  sessionAuth,
  authRouter,
  bcryptPasswords,
  MemorySessionStore,
  expressSessionStorage,
  type ExpressSessionStorageOptions,
  type SessionAuthOptions,
  type AuthRouterOptions,
  type BcryptPasswordsOptions,
  type PortcullisSessionData,
  type SecondFactor,
} from "@portcullis/session-auth";

export {
  totpSecondFactor,
  pendingMfaLogin,
  mfaRequired,
  SecretBox,
  deriveKey,
  type TotpSecondFactorOptions,
  type EmailCodesOptions,
  type MfaMethod,
  type MfaEncryptionKey,
} from "@portcullis/mfa";

export {
  oauthSignIn,
  oidcProvider,
  googleProvider,
  githubProvider,
  type OAuthSignInOptions,
  type OAuthProvider,
  type OidcProviderOptions,
  type GoogleProviderOptions,
  type GitHubProviderOptions,
  type SsoDomain,
} from "@portcullis/oauth";

export { emailFlows, smtpMailer, type EmailFlowsOptions, type SmtpMailerOptions } from "@portcullis/email";

export { loginRateLimit, type LoginRateLimitOptions } from "@portcullis/login-rate-limit";

export { redactResponse, type RedactResponseOptions, type RedactionRule } from "@portcullis/redact-response";
