import type { Request } from "express";
import { PortcullisError, type EmailToken, type EmailTokenPurpose, type MailMessage } from "@portcullis/core";
import { callStore, EMAIL_TOKEN_STORE } from "@portcullis/core/internal";
import { dispatch } from "./delivery";
import { LINK_TTL_MS, type EmailFlowsConfig, type EmailLinks } from "./email-flows-options";
import { digestOfSent, linkTo, newLinkToken } from "./link-token";
import type { MessageContext } from "./messages";
import { sendLimiter } from "./send-limits";

/** What a new link's token is for and carries, besides its times. */
export type LinkGrant = Omit<EmailToken, "issuedAt" | "expiresAt">;

/** The page each purpose's link opens. */
const PAGE: Readonly<Record<EmailTokenPurpose, keyof EmailLinks>> = {
  password_reset: "resetPassword",
  sign_up: "signUp",
  invitation: "invitation",
  email_change: "verifyEmail",
};

/** The parts every email flow's routes share: issuing and spending links, sending, counting sends. */
export interface EmailLinkFlows {
  readonly config: EmailFlowsConfig;
  /** Who a message goes to, in the app's name. */
  context(to: string): MessageContext;
  /** The app's page at `path` (no token). */
  page(path: keyof EmailLinks): string;
  /** Issues a link's token: its URL, and how long it works. */
  issue(grant: LinkGrant, now: number): Promise<{ readonly url: string; readonly ttlMs: number }>;
  /** A store round trip that finds nothing: what a flow does for an unknown address, so both take alike. */
  missNothing(now: number): Promise<void>;
  /** Spends a link's token for `purpose`: the token, once; 400 `invalid_token` for any other (unknown, used, expired, malformed). */
  spend(purpose: EmailTokenPurpose, sent: string, now: number): Promise<EmailToken>;
  /** Puts a spent token back: the use failed on the request's own fault (a password too long), so the link still works. */
  restore(sent: string, token: EmailToken): Promise<void>;
  /** Sends without waiting (see `dispatch`). */
  send(message: MailMessage): void;
  /** Counts a message a visitor asked for against the address and (unless `byIp` is false) their IP; 429 past either limit. */
  countSend(req: Request, address: string, options?: { byIp?: boolean }): Promise<void>;
}

export function emailLinkFlows(config: EmailFlowsConfig): EmailLinkFlows {
  const { tokens, timeoutMs } = config;
  const countSend = sendLimiter(config.limiterStore, config.sendLimits, config.timeoutMs);
  return {
    config,
    context: (to) => ({ appName: config.appName, to }),
    page: (path) => linkTo(config.appUrl, config.links[path]),
    async issue(grant, now) {
      const { token, digest } = newLinkToken();
      const ttlMs = LINK_TTL_MS[grant.purpose];
      await callStore(EMAIL_TOKEN_STORE.issue, timeoutMs, () => tokens.issue(digest, { ...grant, issuedAt: now, expiresAt: now + ttlMs }));
      return { url: linkTo(config.appUrl, config.links[PAGE[grant.purpose]], token), ttlMs };
    },
    async missNothing(now) {
      await callStore(EMAIL_TOKEN_STORE.take, timeoutMs, () => tokens.take(newLinkToken().digest, "password_reset", now));
    },
    async spend(purpose, sent, now) {
      const digest = digestOfSent(sent);
      const token = digest && (await callStore(EMAIL_TOKEN_STORE.take, timeoutMs, () => tokens.take(digest, purpose, now)));
      if (!token) throw new PortcullisError("invalid_token");
      return token;
    },
    async restore(sent, token) {
      await callStore(EMAIL_TOKEN_STORE.issue, timeoutMs, () => tokens.issue(digestOfSent(sent)!, token));
    },
    send: (message) => dispatch(config.mailer, message, config.logger),
    countSend,
  };
}
