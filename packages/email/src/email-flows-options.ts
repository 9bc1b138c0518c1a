import { ScopePolicy, type EmailTokenStore, type LimiterStore, type Logger, type Mailer } from "@portcullis/core";
import { checked, isMailer, isScopePolicy, limiterStoreOption, loggerOption, resolveOptions, timeoutMsOption, wholeNumber } from "@portcullis/core/internal";
import { z } from "zod";
import type { SendLimits } from "./send-limits";

/** The pages of the app the links open, each a path under `appUrl`; the token rides in the fragment (`#token=…`). */
export interface EmailLinks {
  /** @default "/reset-password" */
  readonly resetPassword: string;
  /** @default "/forgot-password" (the account-exists notice points here) */
  readonly forgotPassword: string;
  /** @default "/sign-up" */
  readonly signUp: string;
  /** @default "/accept-invitation" */
  readonly invitation: string;
  /** @default "/verify-email" */
  readonly verifyEmail: string;
}

export interface EmailFlowsOptions {
  /** Sends the messages: `smtpMailer({ url, from })`, or an outbox (`MemoryOutbox`, `RedisOutbox`, `PostgresOutbox`) in development. */
  readonly mailer: Mailer;
  /** Where the links' tokens live, as digests: `MemoryEmailTokenStore`, `RedisEmailTokenStore` or `PostgresEmailTokenStore`. */
  readonly tokens: EmailTokenStore;
  /** The app's public origin (and base path) that the links open, such as `"https://console.acme.test"`; HTTPS, or http on loopback. */
  readonly appUrl: string;
  /**
   * The app's name in every message.
   * @default "portcullis"
   */
  readonly appName?: string;
  /** The pages the links open. @default see `EmailLinks` */
  readonly links?: Partial<EmailLinks>;
  /**
   * Self-service sign-up: `POST /signup` emails a link to the address, where the new user sets a
   * password; the account exists only once the link is used, with this role. Needs a user store
   * that can add users.
   * @default undefined (off: accounts come from an admin, an invitation or a sign-in provider)
   */
  readonly signUp?: { readonly role: string };
  /**
   * Invitations: a signed-in user with `scope` may `POST /invitations` an address with a role whose
   * scopes they hold themselves, read through `policy`'s implications (`admin: "*"` holds every
   * scope, so an admin may invite to any role).
   * @default undefined (off); `policy` defaults to `new ScopePolicy()` (no implications)
   */
  readonly invitations?: { readonly scope: string; readonly policy?: ScopePolicy };
  /** Messages a visitor may ask for per hour, per address and per client IP. @default { perAddressPerHour: 5, perIpPerHour: 20 } */
  readonly sendLimits?: Partial<SendLimits>;
  /** Where those counts live: `new RedisLimiterStore(redis)` shares them between processes. @default new MemoryLimiterStore() */
  readonly limiterStore?: LimiterStore;
  /** How long a store call may take before the request gets 503. @default 2000 */
  readonly timeoutMs?: number;
  /** Where a message that could not be sent is logged (never its content). @default console */
  readonly logger?: Logger;
}

/** How long each link works. */
export const LINK_TTL_MS = Object.freeze({
  /** OWASP's "short": 30 minutes. */
  password_reset: 30 * 60_000,
  sign_up: 24 * 3600_000,
  invitation: 7 * 24 * 3600_000,
  email_change: 24 * 3600_000,
});

const PATH = /^\/[A-Za-z0-9/_.-]*$/;
const path = (fallback: string) => z.string().regex(PATH, { error: "must be a path such as /reset-password" }).default(fallback);
const role = z.string({ error: "must be one of sessionAuth's roles" }).min(1, { error: "must be one of sessionAuth's roles" });

const isLoopback = (host: string) => host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);

const emailFlowsOptions = z.strictObject(
  {
    mailer: checked(isMailer, "is required: a Mailer such as smtpMailer({ url: process.env.SMTP_URL, from }) or new MemoryOutbox()"),
    tokens: checked(
      (value): value is EmailTokenStore => typeof (value as Partial<EmailTokenStore> | null)?.take === "function" && typeof (value as Partial<EmailTokenStore>).issue === "function",
      "is required: an EmailTokenStore such as new RedisEmailTokenStore(redis) or new MemoryEmailTokenStore()",
    ),
    appUrl: checked((value): value is string => {
      if (typeof value !== "string" || !URL.canParse(value)) return false;
      const url = new URL(value);
      return url.hash === "" && url.search === "" && (url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname)));
    }, "must be the app's https:// URL (http:// only on loopback), without query or fragment: the links open its pages"),
    appName: z.string().min(1).max(64).regex(/^[^\r\n]+$/).default("portcullis"),
    links: z
      .strictObject({
        resetPassword: path("/reset-password"),
        forgotPassword: path("/forgot-password"),
        signUp: path("/sign-up"),
        invitation: path("/accept-invitation"),
        verifyEmail: path("/verify-email"),
      })
      .default({ resetPassword: "/reset-password", forgotPassword: "/forgot-password", signUp: "/sign-up", invitation: "/accept-invitation", verifyEmail: "/verify-email" }),
    signUp: z.strictObject({ role }).optional(),
    invitations: z
      .strictObject({
        scope: z.string().min(1, { error: "must be a scope, such as users:invite" }),
        policy: checked(isScopePolicy, "must be a ScopePolicy, such as the one the app's scope guards use").default(() => new ScopePolicy()),
      })
      .optional(),
    sendLimits: z
      .strictObject({ perAddressPerHour: wholeNumber(1, 1000).default(5), perIpPerHour: wholeNumber(1, 100_000).default(20) })
      .default({ perAddressPerHour: 5, perIpPerHour: 20 }),
    limiterStore: limiterStoreOption,
    timeoutMs: timeoutMsOption,
    logger: loggerOption,
  },
  { error: (issue) => (issue.code === "invalid_type" ? "options are required: emailFlows({ mailer, tokens, appUrl })" : undefined) },
);

export type EmailFlowsConfig = z.output<typeof emailFlowsOptions>;

export function resolveEmailFlows(options: Readonly<EmailFlowsOptions>): EmailFlowsConfig {
  const config = resolveOptions("emailFlows", emailFlowsOptions, options);
  // Links resolve against the base path: "https://acme.test/app" keeps "/app".
  return { ...config, appUrl: config.appUrl.endsWith("/") ? config.appUrl : `${config.appUrl}/` };
}
