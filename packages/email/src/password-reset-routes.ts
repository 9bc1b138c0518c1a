import type { Router } from "express";
import { PortcullisError } from "@portcullis/core";
import { asyncHandler, callStore, normalizeEmail, parseRequest, USER_STORE, validateEmail } from "@portcullis/core/internal";
import type { AccountEmailRoutes } from "@portcullis/session-auth";
import type { EmailLinkFlows } from "./email-link-flows";
import { passwordChangedMessage, passwordResetMessage } from "./messages";
import { addressBody, resetBody } from "./request-bodies";
import { PASSWORD_TIMEOUT_MS } from "./new-account";

/** The answer to every reset request, whether or not the address has an account. */
export const RESET_REQUESTED = Object.freeze({ detail: "If an account uses this address, a link to set a new password is on its way." });

/**
 * `POST /password/forgot` `{ email }` answers 202 alike for every address, and emails a link
 * (30 minutes, single use) only to an account's address; `POST /password/reset`
 * `{ token, new_password }` sets the password, signs out every session of the account and tells
 * its address. A link is void once the password changed after it was sent, or the account's
 * address changed.
 */
export function addPasswordResetRoutes(router: Router, flows: EmailLinkFlows, routes: AccountEmailRoutes): void {
  const { users, json, sameSiteOnly } = routes;
  router.post("/password/forgot", ...json, sameSiteOnly, asyncHandler(async function forgotPassword(req, res) {
    const context = routes.context(req);
    const email = normalizeEmail(parseRequest(addressBody, req.body, "body").email);
    validateEmail(email);
    const refusal = routes.passwordRefusal(req, email); // by domain: it tells nothing of an account
    if (refusal) throw refusal;
    await flows.countSend(req, email);
    const now = context.now();
    const user = await callStore(USER_STORE.findByEmail, context.timeoutMs, () => users.findByEmail(email));
    if (user) {
      const { url, ttlMs } = await flows.issue({ purpose: "password_reset", email: user.email, userId: user.id }, now);
      flows.send(passwordResetMessage(flows.context(user.email), url, ttlMs));
    } else {
      await flows.missNothing(now);
    }
    res.status(202).set("Cache-Control", "no-store").json(RESET_REQUESTED);
  }));

  router.post("/password/reset", ...json, sameSiteOnly, asyncHandler(async function resetPassword(req, res) {
    const context = routes.context(req);
    const { token: sent, new_password: password } = parseRequest(resetBody, req.body, "body");
    const token = await flows.spend("password_reset", sent, context.now());
    const user = token.userId === undefined ? undefined : await callStore(USER_STORE.findById, context.timeoutMs, () => users.findById(token.userId!));
    // Void once the password changed since the link was sent (another link used), or the address moved.
    if (!user || user.email !== token.email || (user.passwordChangedAt ?? -1) >= token.issuedAt) throw new PortcullisError("invalid_token");
    const refusal = routes.passwordRefusal(req, user.email);
    if (refusal) throw refusal;
    try {
      if (!(await callStore(USER_STORE.changePassword, PASSWORD_TIMEOUT_MS, () => users.changePassword(user.id, password)))) throw new PortcullisError("invalid_token");
    } catch (error) {
      // A password the store refuses is the request's fault: the link still works for a better one.
      if (error instanceof PortcullisError && error.code === "invalid_request") await flows.restore(sent, token);
      throw error;
    }
    const revoked = await routes.revokeAllSessions(req, user.id);
    context.record(req, { action: "password.reset", outcome: "success", userId: user.id, owner: user.id });
    flows.send(passwordChangedMessage(flows.context(user.email)));
    res.set("Cache-Control", "no-store").json({ password_reset: true, sessions_revoked: revoked });
  }));
}
