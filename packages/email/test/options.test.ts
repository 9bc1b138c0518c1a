import { MemoryEmailTokenStore, MemoryOutbox } from "@portcullis/core";
import { emailFlows, smtpMailer } from "@portcullis/email";

const mailer = new MemoryOutbox();
const tokens = new MemoryEmailTokenStore();

describe("emailFlows options", () => {
  test.each([
    [undefined, "emailFlows: options are required: emailFlows({ mailer, tokens, appUrl })"],
    [{ tokens, appUrl: "https://acme.test" }, 'emailFlows: "mailer" is required'],
    [{ mailer, appUrl: "https://acme.test" }, 'emailFlows: "tokens" is required'],
    [{ mailer, tokens, appUrl: "http://acme.test" }, `emailFlows: "appUrl" must be the app's https:// URL`],
    [{ mailer, tokens, appUrl: "https://acme.test/#x" }, `emailFlows: "appUrl" must be`],
    [{ mailer, tokens, appUrl: "https://acme.test", links: { resetPassword: "https://evil.test/" } }, "must be a path such as /reset-password"],
    [{ mailer, tokens, appUrl: "https://acme.test", signUp: { role: "" } }, "must be one of sessionAuth's roles"],
    [{ mailer, tokens, appUrl: "https://acme.test", invitations: {} }, "invitations"],
    [{ mailer, tokens, appUrl: "https://acme.test", sendLimits: { perAddressPerHour: 0 } }, "perAddressPerHour"],
    [{ mailer, tokens, appUrl: "https://acme.test", redis: {} }, "redis"],
  ])("refuses %j", (options, message) => {
    expect(() => emailFlows(options as never)).toThrow(message);
  });

  test("takes http:// on loopback, and a base path", () => {
    expect(() => emailFlows({ mailer, tokens, appUrl: "http://127.0.0.1:3000" })).not.toThrow();
    expect(() => emailFlows({ mailer, tokens, appUrl: "http://localhost:3000/console" })).not.toThrow();
  });
});

describe("smtpMailer options", () => {
  test.each([
    [{ url: "http://mail.test", from: "a@b.test" }, 'smtpMailer: "url" must be an smtp:// or smtps:// URL'],
    [{ url: "smtp://", from: "a@b.test" }, 'smtpMailer: "url" must be'],
    [{ url: "smtp://mail.test" }, 'smtpMailer: "from" is required'],
    [{ url: "smtp://mail.test", from: "a@b.test\r\nBcc: x@y.test" }, 'smtpMailer: "from" must be one line'],
    [{ url: "smtp://mail.test", from: "a@b.test", timeoutMs: 0 }, 'smtpMailer: "timeoutMs"'],
  ])("refuses %j", (options, message) => {
    expect(() => smtpMailer(options as never)).toThrow(message);
  });

  test("a message that is not one is refused before anything is sent", async () => {
    const smtp = smtpMailer({ url: "smtp://127.0.0.1:9", from: "a@b.test" });
    await expect(smtp.send({ to: "x@y.test" } as never)).rejects.toThrow("smtpMailer: a message is { to, subject, text, html }");
  });
});
