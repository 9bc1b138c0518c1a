import type { Request, Response } from "express";
import { PortcullisError, type EmailToken, type ProvisioningUserStore, type UserStore } from "@portcullis/core";
import { callStore, USER_STORE } from "@portcullis/core/internal";
import type { AccountEmailRoutes } from "@portcullis/session-auth";
import type { EmailLinkFlows } from "./email-link-flows";

/** How long hashing a password may take: bcrypt queues for libuv's threads under load (as authRouter's `passwordTimeoutMs`). */
export const PASSWORD_TIMEOUT_MS = 10_000;

/** Whether the user store can add users and change their address, as sign-up, invitations and email changes need. */
export function isProvisioning(users: UserStore): users is ProvisioningUserStore {
  const store = users as Partial<ProvisioningUserStore>;
  return typeof store.create === "function" && typeof store.setEmail === "function";
}

/**
 * The end of a sign-up or an invitation: the account is made, with the address the link was sent
 * to (so it is proven) and the password chosen now, and answered 201. It signs nobody in: the new
 * user signs in as anyone does, second factor and all. A password the store refuses puts the link
 * back; an address taken meanwhile is a 409.
 */
export async function createAccount(req: Request, res: Response, flows: EmailLinkFlows, routes: AccountEmailRoutes, sent: string, token: EmailToken, password: string): Promise<void> {
  const context = routes.context(req);
  const users = routes.users as ProvisioningUserStore;
  // Single sign-on may have come to the address's domain since the link was sent: its people come in through it.
  const refusal = routes.passwordRefusal(req, token.email);
  if (refusal) throw refusal;
  let user;
  try {
    user = await callStore(USER_STORE.create, PASSWORD_TIMEOUT_MS, () => users.create({ email: token.email, password, role: token.role! }));
  } catch (error) {
    if (error instanceof PortcullisError && error.code === "invalid_request") await flows.restore(sent, token);
    if (error instanceof PortcullisError && error.code === "conflict") throw new PortcullisError("conflict", "This address already has an account: sign in, or reset its password.");
    throw error;
  }
  const action = token.purpose === "invitation" ? "user.invite" : "user.sign_up";
  context.record(req, { action, outcome: "success", userId: user.id, owner: user.id, targetId: user.id });
  res.status(201).set("Cache-Control", "no-store").json({ user: { id: user.id, email: user.email, role: user.role } });
}
