import express from "express";
import request from "supertest";
import {
  MemoryAuditSink,
  MemoryEmailTokenStore,
  MemoryUserStore,
  portcullisFinalHandlers,
  type EmailTokenStore,
  type Logger,
  type Mailer,
  type PasswordHasher,
  type ProvisioningUserStore,
} from "@portcullis/core";
import { authRouter, bcryptPasswords, sessionAuth, type OAuthSignIn, type SecondFactor } from "@portcullis/session-auth";
import { emailFlows, smtpMailer, type EmailFlowsOptions } from "@portcullis/email";
import type { ReceivedEmail, TestSmtpServer } from "@portcullis/testing";

export const APP_URL = "http://127.0.0.1:9/console";
export const ROLES = { admin: ["admin", "read", "write"], member: ["read", "write"], viewer: ["read"] };
export const ADA = { email: "ada@example.test", password: "ada's first password" };
export const BOB = { email: "bob@example.test", password: "bob's own password" };

/** A logger that keeps what it is told, to show what (and what not) is logged. */
export function keptLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (line: string) => void lines.push(line), error: (line: string) => void lines.push(line) };
}

/**
 * sessionAuth and authRouter with the email flows, mail sent through the test's real SMTP server
 * (or `mailer`), users ada (admin) and bob (member), an access log, and the test's clock.
 */
export async function createEmailApp(
  smtp: TestSmtpServer | undefined,
  options: { flows?: Partial<EmailFlowsOptions>; mailer?: Mailer; tokens?: EmailTokenStore; oauth?: OAuthSignIn; mfa?: SecondFactor; roles?: Record<string, string[]>; users?: ProvisioningUserStore | ((passwords: PasswordHasher, now: () => number) => ProvisioningUserStore) } = {},
) {
  const clock = { now: Date.now(), advance: (ms: number) => void (clock.now += ms) };
  const now = () => clock.now;
  const passwords = bcryptPasswords({ cost: 4 });
  const users = typeof options.users === "function" ? options.users(passwords, now) : (options.users ?? new MemoryUserStore({ passwords, now }));
  // A store given by the test may come from an earlier app, with ada and bob in it.
  const ada = (await users.findByEmail(ADA.email)) ?? (await users.create({ ...ADA, role: "admin" }));
  const bob = (await users.findByEmail(BOB.email)) ?? (await users.create({ ...BOB, role: "member" }));
  const tokens = options.tokens ?? new MemoryEmailTokenStore();
  const logger = keptLogger();
  const mailer = options.mailer ?? smtpMailer({ url: smtp!.url, from: "Acme <no-reply@acme.test>", timeoutMs: 2000 });
  const audit = new MemoryAuditSink({ now });
  const email = emailFlows({ mailer, tokens, appUrl: APP_URL, appName: "Acme", logger, ...options.flows });
  const app = express();
  app.use("/api", sessionAuth({ secret: "session-secret-of-at-least-32-bytes!!", roles: options.roles ?? ROLES, now, users, audit }));
  app.use("/api/auth", authRouter({ users, email, ...(options.oauth ? { oauth: options.oauth } : {}), ...(options.mfa ? { mfa: options.mfa } : {}) }));
  app.use(portcullisFinalHandlers());
  return { app, users, tokens, audit, clock, logger, ada, bob };
}

/** A browser signed in as `who`. */
export async function signedIn(app: express.Express, who: { email: string; password: string }) {
  const agent = request.agent(app);
  await agent.post("/api/auth/login").send(who).expect(200);
  return agent;
}

/**
 * The next message to `to` whose subject matches: messages sent off the request's path may arrive
 * late, even after the test that caused them, so others are passed over.
 */
export async function nextAbout(smtp: TestSmtpServer, to: string, subject: RegExp): Promise<ReceivedEmail> {
  for (;;) {
    const message = await smtp.nextMessage({ to });
    if (subject.test(message.subject)) return message;
  }
}

/** The token of the link in a received message (from its text part, as a reader would click it). */
export function tokenIn(message: ReceivedEmail): string {
  const link = /https?:\/\/\S+#token=([A-Za-z0-9_-]+)/.exec(message.text);
  if (!link) throw new Error(`no link with a token in: ${message.text}`);
  return link[1]!;
}

/** The link of a received message. */
export function linkIn(message: ReceivedEmail): URL {
  const link = /https?:\/\/\S+#token=[A-Za-z0-9_-]+/.exec(message.text);
  if (!link) throw new Error(`no link with a token in: ${message.text}`);
  return new URL(link[0]);
}
