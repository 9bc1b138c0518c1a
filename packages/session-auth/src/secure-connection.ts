import type { Request } from "express";
import { PortcullisError, type Logger } from "@portcullis/core";

const TRUST_PROXY_HINT =
  "sessionAuth: refused a sign-in because the session cookie is Secure but Express sees the request as plain HTTP (req.secure is false), " +
  'so browsers would never get the cookie. Behind a TLS-terminating proxy or load balancer, call app.set("trust proxy", 1) ' +
  "(or the proxy's address) before the routes; for local development over HTTP, pass sessionAuth({ secure: false }).";

/**
 * The check run before anything issues a session cookie: with a Secure cookie, express-session
 * silently sets none on a request that is not secure, so the user would get a 200 and stay
 * signed out. It refuses with 403 `https_required` instead, and logs the fix once.
 */
export function cookieDeliveryCheck(secure: boolean, logger: Logger): (req: Request) => void {
  let told = false;
  return function assertCookieDeliverable(req) {
    if (!secure || req.secure) return;
    if (!told) {
      told = true;
      logger.warn(TRUST_PROXY_HINT);
    }
    throw new PortcullisError("https_required");
  };
}
