export { apiKeyAuth, type ApiKeyAuthOptions } from "./api-key-auth";
export type { CredentialSource } from "./credential-sources";
export { keyRateLimit, type KeyRateLimitOptions } from "./key-rate-limit";
