export * from "./session-auth";
export * from "./auth-router";
export * from "./bcrypt-passwords";
export * from "./memory-session-store";
export * from "./same-site";
export type * from "./session-data";
