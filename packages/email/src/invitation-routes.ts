import type { Router } from "express";
import { PortcullisError, type ScopePolicy } from "@portcullis/core";
import { asyncHandler, callStore, normalizeEmail, parseRequest, USER_STORE, validateEmail } from "@portcullis/core/internal";
import type { AccountEmailRoutes } from "@portcullis/session-auth";
import type { EmailLinkFlows } from "./email-link-flows";
import { invitationMessage } from "./messages";
import { createAccount } from "./new-account";
import { invitationBody, tokenWithPasswordBody } from "./request-bodies";

/**
 * Invitations: `POST /invitations` `{ email, role, name? }` by a signed-in user holding `scope`
 * emails a link (7 days, single use); `POST /invitations/accept` `{ token, password }` makes the
 * account with that role. An inviter can hand out only a role whose every scope they hold (as
 * `policy` reads them: `ScopePolicy.cannotGrant`, the rule of keys made by keys), so an invitation
 * never raises anyone above the inviter.
 */
export function addInvitationRoutes(router: Router, flows: EmailLinkFlows, routes: AccountEmailRoutes, { scope, policy }: { scope: string; policy: ScopePolicy }): void {
  const { users, json, sameSiteOnly } = routes;
  router.post("/invitations", ...json, sameSiteOnly, asyncHandler(async function invite(req, res) {
    const { context, userId } = routes.signedInUser(req);
    const held = req.auth?.scopes ?? [];
    if (policy.missing(held, [scope]).length > 0) throw new PortcullisError("insufficient_permissions", `Inviting users needs the scope ${scope}.`, { data: { missing_scopes: [scope] } });
    const body = parseRequest(invitationBody, req.body, "body");
    validateEmail(body.email);
    const email = normalizeEmail(body.email);
    const refusal = routes.passwordRefusal(req, email); // an SSO domain's people come in through its provider
    if (refusal) throw refusal;
    const granted = Object.hasOwn(routes.roles(req), body.role) ? routes.roles(req)[body.role]! : undefined;
    if (!granted) throw new PortcullisError("invalid_request", `role: must be one of ${Object.keys(routes.roles(req)).join(", ")}`);
    const beyond = policy.cannotGrant(held, granted);
    if (beyond.length > 0) throw new PortcullisError("insufficient_permissions", "You can only invite people to a role whose scopes you hold.", { data: { missing_scopes: beyond } });
    if (await callStore(USER_STORE.findByEmail, context.timeoutMs, () => users.findByEmail(email))) {
      throw new PortcullisError("conflict", "This address already has an account.");
    }
    await flows.countSend(req, email, { byIp: false }); // an address gets no more invitations an hour than resets
    const inviter = await callStore(USER_STORE.findById, context.timeoutMs, () => users.findById(userId));
    const now = context.now();
    const { url, ttlMs } = await flows.issue({ purpose: "invitation", email, role: body.role }, now);
    flows.send(invitationMessage(flows.context(email), { url, ttlMs, role: body.role, invitedBy: inviter?.email ?? "An administrator", ...(body.name === undefined ? {} : { name: body.name }) }));
    context.record(req, { action: "user.invite", outcome: "success", userId, owner: userId });
    res.status(202).set("Cache-Control", "no-store").json({ email, role: body.role, expires_at: new Date(now + ttlMs).toISOString() });
  }));

  router.post("/invitations/accept", ...json, sameSiteOnly, asyncHandler(async function acceptInvitation(req, res) {
    const context = routes.context(req);
    const { token: sent, password } = parseRequest(tokenWithPasswordBody, req.body, "body");
    const token = await flows.spend("invitation", sent, context.now());
    await createAccount(req, res, flows, routes, sent, token, password);
  }));
}
