import type { Logger, MailMessage, Mailer } from "@portcullis/core";
import { MAILER, startStoreCall, storeFailureType } from "@portcullis/core/internal";

/**
 * Hands a message to the mailer without waiting for it: a request's answer, and its time, are the
 * same whether a message went out or not (no account to write to, a slow server). A failure is
 * logged under `sender`'s name, without the message (it carries a link or a code), and traced as
 * `Mailer.send`.
 */
export function dispatch(mailer: Mailer, message: MailMessage, logger: Logger, sender = "emailFlows"): void {
  const traced = startStoreCall(MAILER.send);
  // On the next turn, after the answer is written: a mailer's synchronous start (nodemailer builds
  // the message and opens a connection) made a reset for an account's address slower than for a
  // stranger's (0.7 ms at the median over SMTP, measured in the handler; 0.2 ms once deferred).
  new Promise<void>((resolve) => setImmediate(resolve))
    .then(() => traced.run(() => mailer.send(message)))
    .then(
      () => traced.end(),
      (error: unknown) => {
        traced.end(storeFailureType(error), error);
        logger.error(`${sender}: a message could not be sent (${error instanceof Error ? error.message : String(error)})`);
      },
    );
}
