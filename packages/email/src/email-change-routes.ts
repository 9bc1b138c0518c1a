import type { Router } from "express";
import { PortcullisError, type ProvisioningUserStore } from "@portcullis/core";
import { asyncHandler, callStore, normalizeEmail, parseRequest, unauthenticated, USER_STORE, validateEmail } from "@portcullis/core/internal";
import type { AccountEmailRoutes } from "@portcullis/session-auth";
import type { EmailLinkFlows } from "./email-link-flows";
import { emailChangeMessage, emailChangeRequestedMessage } from "./messages";
import { addressBody, tokenBody } from "./request-bodies";

/**
 * A change of address, proven before it is made: `POST /email` `{ email }` (signed in, recently
 * authenticated) emails a link (24 hours, single use) to the new address and a note to the old
 * one, answering 202 alike whether or not another account has the new address; `POST /email/verify`
 * `{ token }` makes the change (409 if the address was taken meanwhile). Until then the account
 * keeps its old address for everything: sign-in, resets, linking. A change of password voids the
 * link; an address of an SSO domain is neither left nor taken this way (403 `sso_required`).
 */
export function addEmailChangeRoutes(router: Router, flows: EmailLinkFlows, routes: AccountEmailRoutes): void {
  const { json, sameSiteOnly, recentAuth } = routes;
  const users = routes.users as ProvisioningUserStore;
  router.post("/email", ...json, sameSiteOnly, recentAuth, asyncHandler(async function changeEmail(req, res) {
    const { context, userId } = routes.signedInUser(req);
    const requested = parseRequest(addressBody, req.body, "body").email;
    await routes.recentSecondFactor(req, userId); // the address is how the account is recovered: as /password, MFA is asked again
    validateEmail(requested);
    const email = normalizeEmail(requested);
    const user = await callStore(USER_STORE.findById, context.timeoutMs, () => users.findById(userId));
    if (!user) throw unauthenticated(req, context.realm);
    // An SSO domain's address belongs to its provider: moving out of it would leave single sign-on
    // (a reset then gives a password the provider cannot revoke), moving into it would bypass it.
    const refusal = routes.passwordRefusal(req, user.email) ?? routes.passwordRefusal(req, email);
    if (refusal) throw refusal;
    if (email === user.email) throw new PortcullisError("invalid_request", "email: is already this account's address");
    await flows.countSend(req, email);
    const { url, ttlMs } = await flows.issue({ purpose: "email_change", email, userId }, context.now());
    flows.send(emailChangeMessage(flows.context(email), url, ttlMs));
    flows.send(emailChangeRequestedMessage(flows.context(user.email), email));
    res.status(202).set("Cache-Control", "no-store").json({ detail: `A link to confirm ${email} is on its way to it.` });
  }));

  router.post("/email/verify", ...json, sameSiteOnly, asyncHandler(async function verifyEmail(req, res) {
    const context = routes.context(req);
    const { token: sent } = parseRequest(tokenBody, req.body, "body");
    const token = await flows.spend("email_change", sent, context.now());
    const user = token.userId === undefined ? undefined : await callStore(USER_STORE.findById, context.timeoutMs, () => users.findById(token.userId!));
    // Void once the password changed since the link was sent: the note to the old address tells its
    // owner to change the password if the request was not theirs, and that must stop it.
    if (!user || (user.passwordChangedAt ?? -1) > token.issuedAt) throw new PortcullisError("invalid_token");
    // Checked again: single sign-on may have come to either domain since the link was sent.
    const refusal = routes.passwordRefusal(req, user.email) ?? routes.passwordRefusal(req, token.email);
    if (refusal) throw refusal;
    try {
      if (!(await callStore(USER_STORE.setEmail, context.timeoutMs, () => users.setEmail(user.id, token.email)))) throw new PortcullisError("invalid_token");
    } catch (error) {
      if (error instanceof PortcullisError && error.code === "conflict") throw new PortcullisError("conflict", "Another account has this address now.");
      throw error;
    }
    context.record(req, { action: "email.change", outcome: "success", userId: user.id, owner: user.id });
    res.set("Cache-Control", "no-store").json({ email: token.email });
  }));
}
