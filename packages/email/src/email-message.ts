import escapeHtml from "escape-html";
import type { MailMessage } from "@portcullis/core";

/** What one message says, before it is rendered: every string is plain text, escaped here for HTML. */
export interface MessageContent {
  readonly to: string;
  readonly subject: string;
  /** Paragraphs, in order. */
  readonly paragraphs: readonly string[];
  /** A button in HTML and a bare URL in text: the link the message exists for. */
  readonly action?: { readonly label: string; readonly url: string };
  /** A one-time code, shown large. */
  readonly code?: string;
  /** A closing line in small print, such as why the reader got the message. */
  readonly footer?: string;
}

/**
 * Renders a message as text and as HTML. Every value is escaped for HTML (a display name such as
 * `<img onerror=…>` arrives as text), and the subject is one line, so nothing a user typed can add
 * markup or a header.
 *
 * @example
 * renderMessage({ to, subject: "Reset your password", paragraphs: ["…"], action: { label: "Set a new password", url } });
 */
export function renderMessage(content: MessageContent): MailMessage {
  const { to, paragraphs, action, code, footer } = content;
  const subject = oneLine(content.subject);
  const text = [
    ...paragraphs,
    ...(code === undefined ? [] : [code]),
    ...(action === undefined ? [] : [`${action.label}: ${action.url}`]),
    ...(footer === undefined ? [] : [`--\n${footer}`]),
  ].join("\n\n");
  const html = [
    "<!doctype html>",
    `<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1d2430;">',
    ...paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`),
    ...(code === undefined ? [] : [`<p style="font-size: 28px; letter-spacing: 6px; font-family: ui-monospace, monospace;"><strong>${escapeHtml(code)}</strong></p>`]),
    ...(action === undefined
      ? []
      : [
          `<p><a href="${escapeHtml(action.url)}" style="display: inline-block; padding: 10px 16px; background: #1f4fd1; color: #fff; border-radius: 6px; text-decoration: none;">${escapeHtml(action.label)}</a></p>`,
          `<p style="font-size: 13px;">Or open this address: ${escapeHtml(action.url)}</p>`,
        ]),
    ...(footer === undefined ? [] : [`<p style="font-size: 12px; color: #5b6472;">${escapeHtml(footer)}</p>`]),
    "</body></html>",
  ].join("\n");
  return { to, subject, text, html };
}

/** Line breaks and other control characters become spaces: a subject is one header line. */
function oneLine(value: string): string {
  return value.replace(/[\p{Cc}\u2028\u2029]+/gu, " ").trim();
}
