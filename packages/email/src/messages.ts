import type { MailMessage } from "@portcullis/core";
import { renderMessage } from "./email-message";

/** What every message names: the app, and the address it goes to. */
export interface MessageContext {
  /** The app's name as users know it, such as "Acme". */
  readonly appName: string;
  readonly to: string;
}

const IGNORE = "If you did not ask for this, ignore this message: nothing changes until the link is used.";
const minutes = (ms: number) => {
  const count = Math.max(1, Math.round(ms / 60_000));
  return count === 1 ? "1 minute" : `${count} minutes`;
};
const hours = (ms: number) =>
  ms < 2 * 3600_000 ? minutes(ms) : ms < 2 * 86_400_000 ? `${Math.round(ms / 3600_000)} hours` : `${Math.round(ms / 86_400_000)} days`;

/** The password reset link. */
export function passwordResetMessage({ appName, to }: MessageContext, url: string, ttlMs: number): MailMessage {
  return renderMessage({
    to,
    subject: `Reset your ${appName} password`,
    paragraphs: [`Someone asked to reset the password of the ${appName} account for ${to}.`, `The link works once, for ${hours(ttlMs)}.`],
    action: { label: "Set a new password", url },
    footer: IGNORE,
  });
}

/** After a reset or a change: the password is new, and every session was signed out. */
export function passwordChangedMessage({ appName, to }: MessageContext): MailMessage {
  return renderMessage({
    to,
    subject: `Your ${appName} password was changed`,
    paragraphs: [
      `The password of the ${appName} account for ${to} was just changed, and every session was signed out.`,
      "If this was not you, reset your password now and tell your administrator.",
    ],
  });
}

/** The link that proves an address at sign-up, where the new user sets their password. */
export function signUpMessage({ appName, to }: MessageContext, url: string, ttlMs: number): MailMessage {
  return renderMessage({
    to,
    subject: `Finish signing up for ${appName}`,
    paragraphs: [`Someone asked to make a ${appName} account for ${to}.`, `Set your password to finish; the link works once, for ${hours(ttlMs)}.`],
    action: { label: "Set your password", url },
    footer: IGNORE,
  });
}

/** A sign-up for an address that has an account: it says so to the owner only. */
export function accountExistsMessage({ appName, to }: MessageContext, forgotUrl: string): MailMessage {
  return renderMessage({
    to,
    subject: `You already have a ${appName} account`,
    paragraphs: [`Someone asked to sign up for ${appName} with ${to}, which already has an account.`, "If it was you and you forgot the password, reset it."],
    action: { label: "Reset your password", url: forgotUrl },
    footer: "If you did not ask for this, ignore this message: your account is unchanged.",
  });
}

/** An invitation, naming who invited and with which role. */
export function invitationMessage(
  { appName, to }: MessageContext,
  invite: { readonly url: string; readonly ttlMs: number; readonly role: string; readonly invitedBy: string; readonly name?: string },
): MailMessage {
  return renderMessage({
    to,
    subject: `You are invited to ${appName}`,
    paragraphs: [
      invite.name === undefined ? "Hello," : `Hello ${invite.name},`,
      `${invite.invitedBy} invited you to ${appName} as ${invite.role}.`,
      `Set your password to accept; the link works once, for ${hours(invite.ttlMs)}.`,
    ],
    action: { label: "Accept the invitation", url: invite.url },
    footer: "If you do not expect this invitation, ignore this message.",
  });
}

/** The link that proves a new address before it replaces the account's. */
export function emailChangeMessage({ appName, to }: MessageContext, url: string, ttlMs: number): MailMessage {
  return renderMessage({
    to,
    subject: `Confirm your new ${appName} email address`,
    paragraphs: [`Someone asked to use ${to} for their ${appName} account.`, `Confirm it to make the change; the link works once, for ${hours(ttlMs)}.`],
    action: { label: "Confirm this address", url },
    footer: IGNORE,
  });
}

/** To the old address, when a change to a new one was asked for. */
export function emailChangeRequestedMessage({ appName, to }: MessageContext, newAddress: string): MailMessage {
  return renderMessage({
    to,
    subject: `A change of your ${appName} email address was requested`,
    paragraphs: [
      `Someone signed in to the ${appName} account for ${to} asked to change its address to ${newAddress}.`,
      "Nothing changes until the new address is confirmed. If this was not you, change your password now.",
    ],
  });
}

/** A one-time sign-in code (the email second factor). */
export function emailCodeMessage({ appName, to }: MessageContext, code: string, ttlMs: number): MailMessage {
  return renderMessage({
    to,
    subject: `Your ${appName} code: ${code}`,
    paragraphs: [`Enter this code to confirm it is you. It works once, for ${minutes(ttlMs)}.`],
    code,
    footer: "If you did not try to sign in, someone may know your password: change it.",
  });
}
