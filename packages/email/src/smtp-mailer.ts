import type { Mailer } from "@portcullis/core";
import { checked, isMailMessage, resolveOptions, wholeNumber } from "@portcullis/core/internal";
import nodemailer from "nodemailer";
import { z } from "zod";

export interface SmtpMailerOptions {
  /**
   * The SMTP server: `smtp://user:password@host:587` (STARTTLS when the server offers it) or
   * `smtps://…:465` (TLS from the start); user and password percent-encoded. Usually `SMTP_URL`.
   */
  readonly url: string;
  /** The `From` of every message, such as `"Acme <no-reply@acme.test>"`. */
  readonly from: string;
  /**
   * How long connecting, the greeting and each command may take before the send fails.
   * @default 10000
   */
  readonly timeoutMs?: number;
}

const smtpMailerOptions = z.strictObject(
  {
    url: checked(
      (value): value is string => typeof value === "string" && /^smtps?:\/\/[^/?#]+/.test(value) && URL.canParse(value),
      "must be an smtp:// or smtps:// URL, such as smtp://user:password@mail.example.com:587 (SMTP_URL)",
    ),
    from: z.string({ error: "is required: the From of every message, such as \"Acme <no-reply@acme.test>\"" }).min(3).regex(/^[^\r\n]+$/, { error: "must be one line" }),
    timeoutMs: wholeNumber(1, 120_000, "milliseconds").default(10_000),
  },
  { error: (issue) => (issue.code === "invalid_type" ? "options are required: smtpMailer({ url, from })" : undefined) },
);

/**
 * Sends email through an SMTP server with nodemailer, one connection per message (the flows send
 * a few a minute, and nothing stays open between them); every message goes to one recipient. The URL's user and password are the server's
 * login; nothing else of it is read (nodemailer ignores options beside a URL, so they are spelled
 * out here).
 *
 * @example
 * const mailer = smtpMailer({ url: process.env.SMTP_URL!, from: "Acme <no-reply@acme.test>" });
 * app.use("/api/auth", authRouter({ users, email: emailFlows({ mailer, tokens, appUrl: "https://acme.test" }) }));
 */
export function smtpMailer(options: Readonly<SmtpMailerOptions>): Mailer {
  const { url, from, timeoutMs } = resolveOptions("smtpMailer", smtpMailerOptions, options);
  const server = new URL(url);
  const secure = server.protocol === "smtps:";
  const transport = nodemailer.createTransport({
    host: server.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: server.port === "" ? (secure ? 465 : 587) : Number(server.port),
    secure,
    ...(server.username === "" ? {} : { auth: { user: decodeURIComponent(server.username), pass: decodeURIComponent(server.password) } }),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    async send(message) {
      if (!isMailMessage(message)) throw new TypeError("smtpMailer: a message is { to, subject, text, html }");
      const { to, subject, text, html } = message;
      await transport.sendMail({ from, to, subject, text, html });
    },
  };
}
