// @ts-check
const { emailFlows, smtpMailer } = require("portcullis");

/** The console's pages that the emailed links open (emailFlows' defaults); the server answers each with the console. */
const LINK_PAGES = ["/reset-password", "/forgot-password", "/sign-up", "/accept-invitation", "/verify-email"];

const DEFAULT_FROM = "portcullis demo <no-reply@localhost>";

/**
 * Where the demo's email goes: over SMTP when `SMTP_URL` is set (From: `MAIL_FROM`), otherwise
 * into `outbox`, which the console's Outbox page reads, so every flow works offline.
 * @param {{ SMTP_URL?: string, MAIL_FROM?: string }} env
 * @param {import("@portcullis/core").Outbox} outbox
 * @returns {import("@portcullis/core").Mailer}
 */
function demoMailer(env, outbox) {
  return env.SMTP_URL ? smtpMailer({ url: env.SMTP_URL, from: env.MAIL_FROM || DEFAULT_FROM }) : outbox;
}

/**
 * The demo's email flows: password reset, email changes, self-service sign-up (as a viewer) and
 * invitations by admins, their links opening the console's pages under `appUrl`.
 * @param {{ mailer: import("@portcullis/core").Mailer, tokens: import("@portcullis/core").EmailTokenStore, appUrl: string, limiterStore?: import("portcullis").LimiterStore }} options
 */
function demoEmailFlows({ mailer, tokens, appUrl, limiterStore }) {
  return emailFlows({
    mailer,
    tokens,
    appUrl,
    appName: "portcullis demo",
    signUp: { role: "viewer" },
    invitations: { scope: "admin" },
    ...(limiterStore ? { limiterStore } : {}),
  });
}

module.exports = { LINK_PAGES, demoMailer, demoEmailFlows };
