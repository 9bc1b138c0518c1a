/**
 * The SMTP server harness receives what nodemailer 8 sends, as the mailer will send it, and hands
 * each message back parsed by mailparser; and it fails on demand as a mail server can.
 */
import nodemailer from "nodemailer";
import { useSmtpServer } from "@portcullis/testing";

const smtp = useSmtpServer();

/**
 * A transport as the mailer will build one from `SMTP_URL`, with short timeouts so a hung server
 * fails fast. They go in the URL's query: nodemailer 8 ignores every other option beside `url`.
 */
function transport() {
  return nodemailer.createTransport(`${smtp().url}?connectionTimeout=2000&greetingTimeout=2000&socketTimeout=500`);
}

// An attacker's display name: HTML that must arrive as text, never as markup.
const HOSTILE_NAME = `<img src=x onerror="alert(1)"> & "Zoë"`;

test("a text and HTML message with non-ASCII headers arrives parsed: subject, envelope, parts and display names", async () => {
  const info = await transport().sendMail({
    from: { name: "Portcullis Überwachung", address: "no-reply@example.test" },
    to: { name: HOSTILE_NAME, address: "zoe@example.test" },
    subject: "Réinitialiser votre mot de passe — 🔑",
    text: "Ouvrez https://app.example.test/reset?token=abc",
    html: '<p>Ouvrez <a href="https://app.example.test/reset?token=abc">ce lien</a></p>',
  });
  expect(info.accepted).toEqual(["zoe@example.test"]);

  const mail = await smtp().nextMessage();
  expect(mail.from).toEqual({ name: "Portcullis Überwachung", address: "no-reply@example.test" });
  expect(mail.to).toEqual(["zoe@example.test"]);
  expect(mail.subject).toBe("Réinitialiser votre mot de passe — 🔑");
  expect(mail.text.trim()).toBe("Ouvrez https://app.example.test/reset?token=abc");
  expect(mail.html).toBe('<p>Ouvrez <a href="https://app.example.test/reset?token=abc">ce lien</a></p>');
  const toHeader = mail.headers.get("to");
  expect(toHeader).toMatchObject({ value: [{ name: HOSTILE_NAME, address: "zoe@example.test" }] });
  expect(smtp().messages()).toEqual([mail]);
});

test("nextMessage takes messages in arrival order, filtered by envelope recipient (Bcc included), each once", async () => {
  const mailer = transport();
  await mailer.sendMail({ from: "a@example.test", to: "bob@example.test", subject: "first to bob", text: "1" });
  await mailer.sendMail({ from: "a@example.test", to: "carol@example.test", bcc: "dave@example.test", subject: "to carol", text: "2" });
  await mailer.sendMail({ from: "a@example.test", to: "bob@example.test", subject: "second to bob", text: "3" });

  expect((await smtp().nextMessage({ to: "Carol@Example.test" })).subject).toBe("to carol");
  expect((await smtp().nextMessage({ to: "bob@example.test" })).subject).toBe("first to bob");
  expect((await smtp().nextMessage()).subject).toBe("second to bob");
  await expect(smtp().nextMessage({ to: "dave@example.test", timeoutMs: 100 })).rejects.toThrow("no message to dave@example.test arrived within 100 ms");
  expect(smtp().messages().map((m) => m.to)).toEqual([["bob@example.test"], ["carol@example.test", "dave@example.test"], ["bob@example.test"]]);
});

test("nextMessage waits for a message sent after it was called", async () => {
  const waiting = smtp().nextMessage({ to: "erin@example.test" });
  await transport().sendMail({ from: "a@example.test", to: "frank@example.test", subject: "not erin's", text: "x" });
  await transport().sendMail({ from: "a@example.test", to: "erin@example.test", subject: "erin's", text: "y" });
  expect((await waiting).subject).toBe("erin's");
  expect((await smtp().nextMessage()).subject).toBe("not erin's");
});

test("nextMessage rejects with a clear error when no message arrives, and clear() forgets what came before", async () => {
  await transport().sendMail({ from: "a@example.test", to: "bob@example.test", subject: "old", text: "x" });
  smtp().clear();
  expect(smtp().messages()).toEqual([]);
  await expect(smtp().nextMessage({ timeoutMs: 100 })).rejects.toThrow("nextMessage: no message arrived within 100 ms (received so far, by recipients: none)");
});

test("a refusing server makes sendMail reject with its 550, and nothing is received", async () => {
  smtp().setFaults({ delivery: "refuse" });
  const refused = await transport()
    .sendMail({ from: "a@example.test", to: "bob@example.test", subject: "refused", text: "x" })
    .catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(Error);
  expect(refused).toMatchObject({ code: "EENVELOPE", responseCode: 550 });
  expect(smtp().messages()).toEqual([]);

  smtp().setFaults({});
  await transport().sendMail({ from: "a@example.test", to: "bob@example.test", subject: "healed", text: "x" });
  expect((await smtp().nextMessage()).subject).toBe("healed");
});

test("a hanging server makes sendMail reject once the client's socket timeout passes", async () => {
  smtp().setFaults({ delivery: "hang" });
  const hung = await transport()
    .sendMail({ from: "a@example.test", to: "bob@example.test", subject: "hung", text: "x" })
    .catch((error: unknown) => error);
  expect(hung).toMatchObject({ code: "ETIMEDOUT" });
  expect(smtp().messages()).toEqual([]);
});
