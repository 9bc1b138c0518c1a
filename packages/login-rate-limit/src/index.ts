export {
  loginRateLimit,
  type LoginRateLimitOptions,
  type LoginRateLimitMiddleware,
  type ConsecutiveFailuresOptions,
  type PerIpPerDayOptions,
} from "./login-rate-limit";
export { loginRedisKeys, type LoginCounterIds } from "./login-keys";
