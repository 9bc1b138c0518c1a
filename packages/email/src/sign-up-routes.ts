import type { Router } from "express";
import { asyncHandler, callStore, normalizeEmail, parseRequest, USER_STORE, validateEmail } from "@portcullis/core/internal";
import type { AccountEmailRoutes } from "@portcullis/session-auth";
import type { EmailLinkFlows } from "./email-link-flows";
import { accountExistsMessage, signUpMessage } from "./messages";
import { createAccount } from "./new-account";
import { addressBody, tokenWithPasswordBody } from "./request-bodies";

/** The answer to every sign-up, whether or not the address has an account. */
export const SIGN_UP_REQUESTED = Object.freeze({ detail: "Check your inbox: a link to finish signing up is on its way." });

/**
 * Self-service sign-up, proven by email before any account exists: `POST /signup` `{ email }`
 * answers 202 alike for every address and emails a link (24 hours, single use), or, to an address
 * that has an account, a note saying so; `POST /signup/complete` `{ token, password }` makes the
 * account. No account ever holds an unproven address, so nobody can sign up with another person's
 * address and wait for them (pre-account hijacking).
 */
export function addSignUpRoutes(router: Router, flows: EmailLinkFlows, routes: AccountEmailRoutes, role: string): void {
  const { users, json, sameSiteOnly } = routes;
  router.post("/signup", ...json, sameSiteOnly, asyncHandler(async function signUp(req, res) {
    const context = routes.context(req);
    const email = normalizeEmail(parseRequest(addressBody, req.body, "body").email);
    validateEmail(email);
    const refusal = routes.passwordRefusal(req, email); // an SSO domain's people sign up through it
    if (refusal) throw refusal;
    await flows.countSend(req, email);
    const now = context.now();
    const user = await callStore(USER_STORE.findByEmail, context.timeoutMs, () => users.findByEmail(email));
    if (user) {
      await flows.missNothing(now);
      flows.send(accountExistsMessage(flows.context(user.email), flows.page("forgotPassword")));
    } else {
      const { url, ttlMs } = await flows.issue({ purpose: "sign_up", email, role }, now);
      flows.send(signUpMessage(flows.context(email), url, ttlMs));
    }
    res.status(202).set("Cache-Control", "no-store").json(SIGN_UP_REQUESTED);
  }));

  router.post("/signup/complete", ...json, sameSiteOnly, asyncHandler(async function completeSignUp(req, res) {
    const context = routes.context(req);
    const { token: sent, password } = parseRequest(tokenWithPasswordBody, req.body, "body");
    const token = await flows.spend("sign_up", sent, context.now());
    await createAccount(req, res, flows, routes, sent, token, password);
  }));
}
