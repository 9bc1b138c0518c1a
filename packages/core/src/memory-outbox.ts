import { randomBase62 } from "./base62";
import { isMailMessage, type MailMessage, type Outbox, type OutboxMessage } from "./mailer";

/** How many messages an outbox keeps by default: the newest. */
export const OUTBOX_CAPACITY = 200;

/**
 * The outbox in this process: the zero-setup mailer for development, tests and the demo. It keeps
 * the newest `capacity` messages; nothing survives a restart.
 *
 * @example
 * const outbox = new MemoryOutbox();
 * await outbox.send({ to: "ada@example.com", subject: "Hi", text: "Hi", html: "<p>Hi</p>" });
 * (await outbox.list(1))[0].subject; // "Hi"
 */
export class MemoryOutbox implements Outbox {
  readonly #messages: OutboxMessage[] = [];
  readonly #capacity: number;
  readonly #now: () => number;

  constructor(options: { readonly capacity?: number; readonly now?: () => number } = {}) {
    this.#capacity = options.capacity ?? OUTBOX_CAPACITY;
    this.#now = options.now ?? Date.now;
  }

  async send(message: MailMessage): Promise<void> {
    if (!isMailMessage(message)) throw new TypeError("MemoryOutbox.send: a message is { to, subject, text, html }");
    const { to, subject, text, html } = message;
    this.#messages.unshift({ id: `msg_${randomBase62(16)}`, sentAt: this.#now(), to, subject, text, html });
    this.#messages.length = Math.min(this.#messages.length, this.#capacity);
  }

  async list(limit = this.#capacity): Promise<OutboxMessage[]> {
    return this.#messages.slice(0, Math.max(0, limit));
  }
}
