export * from "./session-auth";
export * from "./auth-router";
export * from "./bcrypt-passwords";
export * from "./memory-session-store";
export * from "./same-site";
export type * from "./session-data";
export { authRouterErrorFormat, MFA_LOGIN_TTL_MS } from "./pending-sign-in";
export type { SecondFactor, SecondFactorContext, SecondFactorRoutes, SignInProof } from "./second-factor-port";
