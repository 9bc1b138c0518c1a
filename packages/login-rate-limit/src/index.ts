export * from "./login-rate-limit";
export * from "./decide-login-attempt";
export * from "./login-keys";
export * from "./username";
export * from "./client-network";
