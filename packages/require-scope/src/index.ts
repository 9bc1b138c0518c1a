export { requireScope, requireAnyScope, scopeGuards, type RequireScopeOptions } from "./require-scope";
export { requireRecentAuth, type RequireRecentAuthOptions } from "./require-recent-auth";
export { requireApp, type RequireAppOptions } from "./require-app";
export { endpoint } from "./endpoint";
