/**
 * One email, rendered: the plain-text part and the HTML part carry the same content. Every value a
 * user supplied (a name, an address) is already escaped in `html` by whoever rendered it.
 */
export interface MailMessage {
  /** One recipient address. */
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/**
 * Sends email: `smtpMailer({ url })` from `@portcullis/email` over SMTP, or an `Outbox` that keeps
 * messages to be read back (development, tests, the demo). `send` resolves once the message is
 * accepted for delivery and rejects when it was not; the flows that send never wait for it on a
 * request's path, so a slow or failing server neither delays nor tells apart their answers.
 *
 * @example
 * const mailer = process.env.SMTP_URL ? smtpMailer({ url: process.env.SMTP_URL, from: "Acme <no-reply@acme.test>" }) : new MemoryOutbox();
 */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** A message an outbox kept, newest first when listed. */
export interface OutboxMessage extends MailMessage {
  /** The outbox's id for the message. */
  readonly id: string;
  /** When it was sent, in ms since the epoch. */
  readonly sentAt: number;
}

/**
 * A mailer that delivers nothing and keeps what it is given, so every email flow works offline:
 * the demo's "Outbox" page lists it. `MemoryOutbox`, `RedisOutbox` and `PostgresOutbox` implement
 * it, each keeping a bounded number of the newest messages. Never use one in production: it keeps
 * the links and codes that the messages carry.
 *
 * @example
 * const outbox = new MemoryOutbox();
 * app.use("/api/auth", authRouter({ users, email: emailFlows({ mailer: outbox, tokens, appUrl }) }));
 * app.get("/dev/outbox", async (_req, res) => res.json(await outbox.list()));
 */
export interface Outbox extends Mailer {
  /** The newest messages first, at most `limit` of them. */
  list(limit?: number): Promise<OutboxMessage[]>;
}

/** True for anything with a `send` method (a {@link Mailer}). */
export function isMailer(value: unknown): value is Mailer {
  return typeof (value as Partial<Mailer> | null)?.send === "function";
}

/** Checks a message before it is kept or sent: one address and three strings. */
export function isMailMessage(value: unknown): value is MailMessage {
  const message = value as Partial<MailMessage> | null;
  return (
    typeof message?.to === "string" && typeof message.subject === "string" && typeof message.text === "string" && typeof message.html === "string"
  );
}
