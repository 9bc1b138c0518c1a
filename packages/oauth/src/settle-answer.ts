import type { Request } from "express";
import { PortcullisError, type LinkedIdentity, type ProvisioningUserStore, type UserRecord } from "@portcullis/core";
import { callStore, IDENTITY_STORE, isStorableIdentityText, USER_STORE } from "@portcullis/core/internal";
import type { OAuthSignInRoutes, PendingOAuthFlow, ProviderSignIn } from "@portcullis/session-auth";
import type { OAuthSignInConfig } from "./oauth-sign-in";
import type { OAuthProvider, ProviderAccount } from "./provider";
import { domainOf, satisfiesSecondFactor, ssoRequired, ssoRole, type SsoDomain } from "./sso";

/** A provider's verified answer, and what it is settled against. */
export interface VerifiedAnswer {
  readonly routes: OAuthSignInRoutes;
  readonly config: OAuthSignInConfig;
  readonly provider: OAuthProvider;
  readonly flow: PendingOAuthFlow;
  readonly account: ProviderAccount;
  readonly users: ProvisioningUserStore;
  /** Told the user the answer concerns, once known, for the access log. */
  readonly onUser: (userId: string) => void;
}

/**
 * What a verified answer does, by the flow's intent: signs in, links the identity to the
 * signed-in user, or renews the session's authentication. Throws the refusal otherwise.
 */
export async function settleAnswer(req: Request, answer: VerifiedAnswer): Promise<ProviderSignIn> {
  const { routes, flow } = answer;
  // Refused before anything is written: an account made for a subject the identity store then
  // refuses would be left with no way in (no password, no identity), its address taken for good.
  if (!isKeepableSubject(answer.account.subject)) throw new PortcullisError("oauth_failed");
  if (flow.intent === "sign_in") return signIn(req, answer);
  const { context, userId } = routes.signedInUser(req);
  answer.onUser(userId);
  const identity = await callStore(IDENTITY_STORE.find, context.timeoutMs, () => answer.config.identities.find(answer.provider.id, answer.account.subject));
  if (flow.intent === "reauthenticate") {
    if (identity?.userId !== userId) throw new PortcullisError("oauth_failed", "The provider signed in another account than this session's; sign in there as yourself.");
    const sso = answer.config.sso.get(domainOf((await findUser(answer, userId, context.timeoutMs))?.email ?? ""));
    // As for a sign-in: only the domain's provider vouches for its users, and its amr policy is about its own tokens.
    if (sso && sso.provider !== answer.provider.id) throw ssoRequired(req, sso);
    await routes.reauthenticate(req, proofOf(answer, context.now(), sso));
    context.record(req, { action: "session.reauthenticate", outcome: "success", userId, owner: userId, targetId: answer.provider.id });
    return "signed_in";
  }
  if (identity && identity.userId !== userId) throw new PortcullisError("identity_in_use");
  if (!identity) {
    // Linking needs both proofs: this session is the account's, and the provider vouches for an address.
    requireVerifiedEmail(answer.account);
    await link(req, answer, userId);
  }
  return "signed_in";
}

async function signIn(req: Request, answer: VerifiedAnswer): Promise<ProviderSignIn> {
  const { routes, config, provider, account, users } = answer;
  const { timeoutMs } = routes.context(req);
  const identity = await callStore(IDENTITY_STORE.find, timeoutMs, () => config.identities.find(provider.id, account.subject));
  let user = identity && (await findUser(answer, identity.userId, timeoutMs));
  if (user) {
    answer.onUser(user.id);
    const sso = config.sso.get(domainOf(user.email));
    if (sso && sso.provider !== provider.id) throw ssoRequired(req, sso);
    if (sso) user = await applySsoRole(user, sso, answer, timeoutMs);
    return routes.signIn(req, user, proofOf(answer, routes.context(req).now(), sso));
  }
  // No account has this identity: only a verified address can find or make one.
  const email = requireVerifiedEmail(account);
  const sso = config.sso.get(domainOf(email));
  if (sso && sso.provider !== provider.id) throw ssoRequired(req, sso);
  const existing = await callStore(USER_STORE.findByEmail, timeoutMs, () => users.findByEmail(email));
  if (existing && !sso && !(await hasNoWayIn(existing, answer, timeoutMs))) {
    // Never linked because an email matches: whoever made that account must sign in and link.
    answer.onUser(existing.id);
    throw new PortcullisError("account_exists");
  }
  if (!existing && !sso && !config.signUp) throw new PortcullisError("signup_closed");
  // The domain's own provider speaks for its addresses: it links (or provisions) just in time. An
  // account with no way in at all is claimed by its verified address (see hasNoWayIn).
  if (existing && sso) await refuseReusedAddress(existing, answer, timeoutMs);
  user = existing ?? (await callStore(USER_STORE.create, timeoutMs, () => users.create({ email, role: sso ? ssoRole(sso, account.claims) : config.signUp!.role })));
  answer.onUser(user.id);
  if (sso && existing) user = await applySsoRole(user, sso, answer, timeoutMs);
  await link(req, answer, user.id);
  return routes.signIn(req, user, proofOf(answer, routes.context(req).now(), sso));
}

/**
 * The domain's provider links its address to the account just in time, but not to an account that
 * already has another of its identities: that is an address the organization gave to someone new
 * (a reused mailbox), who must not inherit the previous holder's account.
 */
async function refuseReusedAddress(user: UserRecord, answer: VerifiedAnswer, timeoutMs: number): Promise<void> {
  const linked = await callStore(IDENTITY_STORE.listByUser, timeoutMs, () => answer.config.identities.listByUser(user.id));
  if (linked.some((identity) => identity.provider === answer.provider.id)) {
    throw new PortcullisError("account_exists", "This address's account belongs to another account at your organization's sign-in; an administrator must unlink it first.");
  }
}

/**
 * Whether nobody can sign in to the account: no password and no linked identity. Such an account
 * is one whose first sign-up through a provider was cut short between the account and the link
 * (a store that failed, a race), or one an admin made without a password (an invitation). Nobody
 * holds it, so the verified address is the only claim there can be: it is not linking an account
 * someone else controls, which is what `account_exists` guards against.
 */
async function hasNoWayIn(user: UserRecord, answer: VerifiedAnswer, timeoutMs: number): Promise<boolean> {
  if (user.passwordless !== true) return false;
  return (await callStore(IDENTITY_STORE.listByUser, timeoutMs, () => answer.config.identities.listByUser(user.id))).length === 0;
}

async function link(req: Request, answer: VerifiedAnswer, userId: string): Promise<void> {
  const { routes, config, provider, account } = answer;
  const context = routes.context(req);
  const identity: LinkedIdentity = { provider: provider.id, subject: account.subject, userId, ...(account.email ? { email: account.email } : {}), linkedAt: context.now() };
  // A concurrent answer for the same identity may have linked it first: the store decides.
  if (!(await callStore(IDENTITY_STORE.link, context.timeoutMs, () => config.identities.link(identity)))) throw new PortcullisError("identity_in_use");
  context.record(req, { action: "identity.link", outcome: "success", userId, owner: userId, targetId: provider.id });
}

function findUser(answer: VerifiedAnswer, userId: string, timeoutMs: number): Promise<UserRecord | undefined> {
  return callStore(USER_STORE.findById, timeoutMs, () => answer.users.findById(userId));
}

/** SSO's roles follow the provider's claim at every sign-in, so a change there applies here. */
async function applySsoRole(user: UserRecord, sso: SsoDomain, answer: VerifiedAnswer, timeoutMs: number): Promise<UserRecord> {
  const role = ssoRole(sso, answer.account.claims);
  if (role === user.role) return user;
  await callStore(USER_STORE.setRole, timeoutMs, () => answer.users.setRole(user.id, role));
  return { ...user, role };
}

/** OpenID Connect's subject is at most 255 ASCII characters; a store keeps no U+0000 nor half a surrogate pair. */
const MAX_SUBJECT_LENGTH = 255;
function isKeepableSubject(subject: unknown): boolean {
  return typeof subject === "string" && subject !== "" && subject.length <= MAX_SUBJECT_LENGTH && isStorableIdentityText(subject);
}

function requireVerifiedEmail(account: ProviderAccount): string {
  if (!account.email || !account.emailVerified) throw new PortcullisError("email_unverified");
  return account.email;
}

function proofOf(answer: VerifiedAnswer, now: number, sso: SsoDomain | undefined) {
  return { provider: answer.provider.id, authenticatedAt: now, ...(satisfiesSecondFactor(sso, answer.account.claims) ? { secondFactorAt: now } : {}) };
}
