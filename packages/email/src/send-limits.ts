import type { Request } from "express";
import { PortcullisError, type LimiterStore } from "@portcullis/core";
import { insuredLimiter, limiterDeadline, retryAfterSeconds, storeUnavailable, type InsuredLimiter } from "@portcullis/core/internal";

/** How many messages one address, and one client IP, may be sent per hour by the flows a visitor starts. */
export interface SendLimits {
  /** @default 5 */
  readonly perAddressPerHour: number;
  /** @default 20 */
  readonly perIpPerHour: number;
}

const HOUR = 3600;

/**
 * Counts each message a visitor asks for (a reset, a sign-up, an email change) against the address
 * and the client's IP, whether or not an account has that address, so a 429 tells nothing a 202
 * does not. Counted in `store`, with memory insurance as the rate limiters do.
 */
export function sendLimiter(store: LimiterStore, limits: SendLimits, timeoutMs: number) {
  const perAddress = insuredLimiter("emailFlows", store, { name: "email-address", points: limits.perAddressPerHour, durationSeconds: HOUR, blockSeconds: 0 });
  const perIp = insuredLimiter("emailFlows", store, { name: "email-ip", points: limits.perIpPerHour, durationSeconds: HOUR, blockSeconds: 0 });
  const all: InsuredLimiter[] = [perAddress, perIp];
  /**
   * Counts one message to `address` from this request's client; 429 past either limit. `byIp:
   * false` counts the address only: for a signed-in admin's invitations, whose IP may rightly send
   * many, while no address should get more than its share.
   */
  return async function countSend(req: Request, address: string, { byIp = true }: { byIp?: boolean } = {}): Promise<void> {
    const limiters = byIp ? all : [perAddress];
    const deadline = limiterDeadline(limiters, timeoutMs);
    try {
      const counts = await Promise.all([perAddress.count(address, deadline), ...(byIp ? [perIp.count(req.ip ?? "", deadline)] : [])]);
      const over = counts.filter(({ state }, i) => state.consumedPoints > limiters[i]!.settings.points);
      if (over.length === 0) return;
      const seconds = Math.max(...over.map(({ state }) => retryAfterSeconds(state.msBeforeNext)));
      throw new PortcullisError("rate_limit_exceeded", "Too many emails asked for; retry later.", {
        headers: { "Retry-After": String(seconds) },
        data: { retry_after: seconds },
      });
    } catch (error) {
      throw error instanceof PortcullisError ? error : storeUnavailable(error);
    } finally {
      deadline?.clear();
    }
  };
}
