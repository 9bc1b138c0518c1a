export { apiKeysRouter, type ApiKeysRouterOptions } from "./api-keys-router";
export { accessLogRouter, type AccessLogRouterOptions } from "./access-log-router";
export { keyJson } from "./key-json";
