import { MemoryOutbox } from "@portcullis/core";
import { emailCodeMessage, invitationMessage, passwordResetMessage, renderMessage } from "@portcullis/email";
import { useSmtpServer } from "@portcullis/testing";
import { smtpMailer } from "@portcullis/email";

const smtp = useSmtpServer();
const context = { appName: "Acme", to: "ada@example.test" };

describe("messages", () => {
  test("every value is escaped in the HTML part, and kept as typed in the text part", () => {
    const message = renderMessage({ to: "a@b.test", subject: "Hi", paragraphs: [`<script>alert("x")</script> & more`], action: { label: "Go", url: 'https://acme.test/a?b=1&c="2"' } });
    expect(message.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more");
    expect(message.html).toContain('href="https://acme.test/a?b=1&amp;c=&quot;2&quot;"');
    expect(message.html).not.toContain("<script>");
    expect(message.text).toContain(`<script>alert("x")</script> & more`);
  });

  test("a subject is one line, so no value can add a header", async () => {
    const message = renderMessage({ to: "ada@example.test", subject: "Hello\r\nBcc: eve@evil.test\u2028x", paragraphs: [] });
    expect(message.subject).toBe("Hello Bcc: eve@evil.test x");
    await smtpMailer({ url: smtp().url, from: "Acme <no-reply@acme.test>" }).send(message);
    const received = await smtp().nextMessage();
    expect(received.to).toEqual(["ada@example.test"]);
    expect(received.headers.get("bcc")).toBeUndefined();
  });

  test("an invitation's name and inviter are escaped, and the code of a sign-in is in text and HTML", () => {
    const invitation = invitationMessage(context, { url: "https://acme.test/accept#token=t", ttlMs: 7 * 24 * 3600_000, role: "<b>admin</b>", invitedBy: "x@y.test", name: "<i>Eve</i>" });
    expect(invitation.html).not.toMatch(/<[bi]>/);
    expect(invitation.text).toContain("the link works once, for 7 days.");
    const code = emailCodeMessage(context, "123456", 10 * 60_000);
    expect(code.subject).toBe("Your Acme code: 123456");
    expect(code.text).toContain("for 10 minutes");
    expect(code.html).toContain("<strong>123456</strong>");
    expect(passwordResetMessage(context, "https://acme.test/r#token=t", 30 * 60_000).text).toContain("for 30 minutes");
  });

  test("an outbox keeps what it is sent, newest first, and no more than its capacity", async () => {
    const outbox = new MemoryOutbox({ capacity: 2 });
    for (const subject of ["one", "two", "three"]) await outbox.send(renderMessage({ to: "a@b.test", subject, paragraphs: [subject] }));
    expect((await outbox.list()).map((message) => message.subject)).toEqual(["three", "two"]);
    expect(await outbox.list(1)).toHaveLength(1);
    await expect(outbox.send({ to: "a@b.test" } as never)).rejects.toThrow(TypeError);
  });
});
