// @ts-check
const { isLocalClient } = require("./loopback");

/** Host names a browser on this machine uses for the demo. */
const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/**
 * True when `mailer` keeps what it is sent and lists it (an `Outbox`), as the demo's mailer does without SMTP_URL.
 * @param {import("@portcullis/core").Mailer} mailer
 * @returns {mailer is import("@portcullis/core").Outbox}
 */
function isOutbox(mailer) {
  return typeof (/** @type {Partial<import("@portcullis/core").Outbox>} */ (mailer).list) === "function";
}

/**
 * `GET /api/demo/outbox`: the messages the outbox kept, newest first, as `{ messages: [{ id, to,
 * subject, text, sent_at }] }` (the text part only: the console never renders a message's HTML).
 * They carry working reset links and codes, so only a client on this machine that no proxy
 * forwarded gets them (as /metrics), and only under a loopback host name or `appUrl`'s, so a web
 * page whose name was rebound to 127.0.0.1 (DNS rebinding) cannot read them either. Anyone else
 * gets the ordinary JSON 404.
 * @param {import("@portcullis/core").Outbox} outbox
 * @param {string} appUrl
 * @returns {import("express").RequestHandler}
 */
function outboxHandler(outbox, appUrl) {
  const appHost = new URL(appUrl).hostname;
  return function outboxRoute(req, res, next) {
    const authority = `http://${req.headers.host ?? ""}`;
    const host = URL.canParse(authority) ? new URL(authority).hostname : "";
    if (!isLocalClient(req) || !(LOOPBACK_HOST.test(host) || host === appHost)) return next();
    outbox
      .list()
      .then((messages) => {
        res.set("Cache-Control", "no-store").json({
          messages: messages.map((message) => ({ id: message.id, to: message.to, subject: message.subject, text: message.text, sent_at: new Date(message.sentAt).toISOString() })),
        });
      })
      .catch(next); // passed on by hand, as Express 4 needs
  };
}

module.exports = { isOutbox, outboxHandler };
