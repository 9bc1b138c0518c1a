import type { AddressInfo } from "node:net";
import type * as Mailparser from "mailparser";
import type { ParsedMail } from "mailparser";
import type * as SmtpServerModule from "smtp-server";

/** A message the test SMTP server accepted, as mailparser read it. */
export interface ReceivedEmail {
  /** The `From` header's mailbox: its display name decoded (`""` when there is none) and its address. */
  readonly from: { readonly name: string; readonly address: string };
  /** The envelope recipients (`RCPT TO`), in the order given: whom the message was delivered to, `Bcc` included. */
  readonly to: readonly string[];
  /** The decoded `Subject`; `""` when there is none. */
  readonly subject: string;
  /** The plain-text part; `""` when there is none. */
  readonly text: string;
  /** The HTML part, as sent; `""` when there is none. */
  readonly html: string;
  /** Every header, parsed by mailparser (lower-case names; address headers as address objects). */
  readonly headers: ParsedMail["headers"];
}

/** Failures the server can be told to have, until told otherwise (`setFaults({})`). */
export interface SmtpServerFaults {
  /**
   * `"refuse"`: every recipient is refused with `550`, so nodemailer's `sendMail` rejects.
   * `"hang"`: the server greets, then never answers `MAIL FROM`: only the client's own timeout
   * (nodemailer's `socketTimeout`) ends the attempt.
   */
  readonly delivery?: "refuse" | "hang";
}

/**
 * A real SMTP server (the `smtp-server` package) this test started on a free loopback port, in
 * plain text (no STARTTLS, no AUTH). It accepts every message, parses it with mailparser before it
 * answers `250`, so once `sendMail` resolves the message is already here, and keeps the messages
 * in arrival order.
 */
export interface TestSmtpServer {
  /** `smtp://127.0.0.1:<port>`, for nodemailer's `createTransport(url)`. */
  readonly url: string;
  readonly port: number;
  /** Every message received since the start or the last `clear()`, in arrival order. */
  messages(): readonly ReceivedEmail[];
  /**
   * The oldest message not yet taken by `nextMessage` (one to `to`, when given, compared without
   * case), waiting for one to arrive if there is none. Rejects after `timeoutMs` (default 5000).
   */
  nextMessage(options?: { readonly to?: string; readonly timeoutMs?: number }): Promise<ReceivedEmail>;
  /** Forgets every message received so far, taken or not. */
  clear(): void;
  /** Replaces the current faults; `setFaults({})` heals them. */
  setFaults(faults: SmtpServerFaults): void;
  stop(): Promise<void>;
}

interface Waiter {
  readonly to: string | undefined;
  readonly resolve: (message: ReceivedEmail) => void;
}

/** Loaded on first use, not when @portcullis/testing is imported: most test files never send mail. */
function loadModules() {
  return {
    SMTPServer: (require("smtp-server") as typeof SmtpServerModule).SMTPServer,
    simpleParser: (require("mailparser") as typeof Mailparser).simpleParser,
  };
}

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

function addressedTo(message: ReceivedEmail, to: string | undefined): boolean {
  return to === undefined || message.to.some((rcpt) => rcpt.toLowerCase() === to.toLowerCase());
}

function received(mail: ParsedMail, recipients: readonly string[]): ReceivedEmail {
  const from = mail.from?.value[0];
  return {
    from: { name: from?.name ?? "", address: from?.address ?? "" },
    to: recipients,
    subject: mail.subject ?? "",
    text: mail.text ?? "",
    html: mail.html || "",
    headers: mail.headers,
  };
}

/**
 * Starts a real SMTP server on a free loopback port, started by the test and stopped by it: no
 * mail leaves the machine.
 *
 * @example
 * const smtp = await startSmtpServer();
 * await nodemailer.createTransport(smtp.url).sendMail({ from: "portcullis@example.test", to: "bob@example.test", subject: "Hi", text: "…" });
 * const mail = await smtp.nextMessage({ to: "bob@example.test" });
 * await smtp.stop();
 */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const { SMTPServer, simpleParser } = loadModules();
  let all: ReceivedEmail[] = [];
  let unread: ReceivedEmail[] = [];
  const waiters = new Set<Waiter>();
  let faults: SmtpServerFaults = {};

  function arrive(message: ReceivedEmail): void {
    all.push(message);
    const waiter = [...waiters].find((w) => addressedTo(message, w.to));
    if (!waiter) return void unread.push(message);
    waiters.delete(waiter);
    waiter.resolve(message);
  }

  const server = new SMTPServer({
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    // Only a hung session outlives its client; stop() then ends it after 100 ms, not 30 s.
    closeTimeout: 100,
    onMailFrom(_address, _session, callback) {
      if (faults.delivery === "hang") return; // never answered
      callback();
    },
    onRcptTo(_address, _session, callback) {
      if (faults.delivery === "refuse") return callback(smtpError("Test SMTP server: recipient refused, as told", 550));
      callback();
    },
    onData(stream, session, callback) {
      const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
      simpleParser(stream).then(
        (mail) => {
          arrive(received(mail, recipients));
          callback();
        },
        (error: unknown) => callback(smtpError(`Test SMTP server: mailparser failed: ${String(error)}`, 554)),
      );
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages: () => [...all],
    nextMessage({ to, timeoutMs = 5000 } = {}) {
      const index = unread.findIndex((message) => addressedTo(message, to));
      if (index >= 0) return Promise.resolve(unread.splice(index, 1)[0]!);
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          to,
          resolve: (message) => {
            clearTimeout(timer);
            resolve(message);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = all.map((message) => message.to.join(", ")).join("; ") || "none";
          reject(new Error(`nextMessage: no message${to === undefined ? "" : ` to ${to}`} arrived within ${timeoutMs} ms (received so far, by recipients: ${seen})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    clear() {
      all = [];
      unread = [];
    },
    setFaults(next) {
      faults = { ...next };
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Starts a real SMTP server before the tests of the calling file and stops it after them; after
 * each test its messages are cleared and its faults healed.
 *
 * @example
 * const smtp = useSmtpServer();
 * test("…", async () => { const mail = await smtp().nextMessage({ to: "bob@example.test" }); … });
 */
export function useSmtpServer(): () => TestSmtpServer {
  let server: TestSmtpServer | undefined;
  beforeAll(async () => {
    server = await startSmtpServer();
  });
  afterEach(() => {
    server?.clear();
    server?.setFaults({});
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("useSmtpServer: the server is only available inside tests");
    return server;
  };
}
