export * from "./login-rate-limit";
export * from "./decide-login-attempt";
export * from "./rate-limit-headers";
export * from "./login-keys";
export * from "./username";
