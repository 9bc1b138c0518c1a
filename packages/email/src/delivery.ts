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
  new Promise<void>((resolve) => resolve(traced.run(() => mailer.send(message)))).then(
    () => traced.end(),
    (error: unknown) => {
      traced.end(storeFailureType(error), error);
      logger.error(`${sender}: a message could not be sent (${error instanceof Error ? error.message : String(error)})`);
    },
  );
}
