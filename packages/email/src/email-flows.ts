import type { Router } from "express";
import { configError } from "@portcullis/core/internal";
import type { AccountEmail, AccountEmailRoutes } from "@portcullis/session-auth";
import { addEmailChangeRoutes } from "./email-change-routes";
import { resolveEmailFlows, type EmailFlowsOptions } from "./email-flows-options";
import { emailLinkFlows } from "./email-link-flows";
import { addInvitationRoutes } from "./invitation-routes";
import { isProvisioning } from "./new-account";
import { addPasswordResetRoutes } from "./password-reset-routes";
import { addSignUpRoutes } from "./sign-up-routes";

/**
 * Password reset, email changes, and when turned on self-service sign-up and invitations, by
 * single-use links sent by email, for `authRouter`'s `email` option. Each link's token is random
 * (256 bits), kept only as a SHA-256 digest, carried in the link's fragment, and spent atomically
 * by its first use. Requests a visitor makes (reset, sign-up) answer alike for every address and
 * send off the request's path, so neither the answer nor its time tells whether an account
 * exists; they are limited per address and per IP. Messages are text and HTML, every value escaped.
 *
 * Routes: `POST /password/forgot`, `/password/reset`, `/email` (change), `/email/verify`; with
 * `signUp`, `POST /signup` and `/signup/complete`; with `invitations`, `POST /invitations` and
 * `/invitations/accept`. Email changes, sign-up and invitations need a user store that can add
 * users and change their address (`ProvisioningUserStore`: every shipped one).
 *
 * @example
 * const mailer = process.env.SMTP_URL ? smtpMailer({ url: process.env.SMTP_URL, from: "Acme <no-reply@acme.test>" }) : new MemoryOutbox();
 * const email = emailFlows({ mailer, tokens: new RedisEmailTokenStore(redis), appUrl: "https://console.acme.test", appName: "Acme" });
 * app.use("/api/auth", authRouter({ users, rateLimit, email }));
 */
export function emailFlows(options: Readonly<EmailFlowsOptions>): AccountEmail {
  const config = resolveEmailFlows(options);
  const flows = emailLinkFlows(config);
  return {
    addRoutes(router: Router, routes: AccountEmailRoutes) {
      addPasswordResetRoutes(router, flows, routes);
      const provisioning = isProvisioning(routes.users);
      if ((config.signUp || config.invitations) && !provisioning) {
        throw configError("emailFlows", "signUp and invitations need a user store that can add users (create) and change their address (setEmail), as every shipped one can");
      }
      if (provisioning) addEmailChangeRoutes(router, flows, routes);
      if (config.signUp) addSignUpRoutes(router, flows, routes, config.signUp.role);
      if (config.invitations) addInvitationRoutes(router, flows, routes, config.invitations);
    },
  };
}
