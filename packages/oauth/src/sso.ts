import type { Request } from "express";
import { PortcullisError } from "@portcullis/core";
import { normalizeEmail } from "@portcullis/core/internal";
import { z } from "zod";

/** An email domain whose users must sign in through their organization's OpenID Provider. */
export interface SsoDomain {
  /** The email domain, such as `"acme.example"` (that domain only, not its subdomains). */
  readonly domain: string;
  /** The id of the provider, among `oauthSignIn`'s `providers`, that is this domain's single sign-on. */
  readonly provider: string;
  /**
   * The claim whose values give the role, such as `"groups"` (a string or an array of strings).
   * @default undefined (every user gets `defaultRole`)
   */
  readonly roleClaim?: string;
  /** Claim value to role, in order of precedence: `{ "acme-admins": "admin", "acme-staff": "member" }`. */
  readonly roleMap?: Readonly<Record<string, string>>;
  /**
   * The role of a user whose claim maps to none; without it, such a user is refused (403 `oauth_denied`).
   * @default undefined
   */
  readonly defaultRole?: string;
  /**
   * When the provider's sign-in counts as a second factor: an `amr` value it reports (RFC 8176:
   * `"mfa"`, `"otp"`, `"hwk"`…) or its `acr` among these. Then portcullis's own second factor is not
   * asked. By default the user's own second factor, if any, is still asked after SSO.
   * @default undefined (never)
   */
  readonly secondFactor?: { readonly amr?: readonly string[]; readonly acr?: readonly string[] };
}

export const ssoDomainSchema = z
  .strictObject({
    domain: z
      .string()
      .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i, { error: "must be a domain such as acme.example" })
      .transform((domain) => domain.toLowerCase()),
    provider: z.string(),
    roleClaim: z.string().min(1).optional(),
    roleMap: z.record(z.string(), z.string().min(1)).optional(),
    defaultRole: z.string().min(1).optional(),
    secondFactor: z.strictObject({ amr: z.array(z.string()).optional(), acr: z.array(z.string()).optional() }).optional(),
  })
  .refine((sso) => sso.defaultRole !== undefined || (sso.roleClaim !== undefined && sso.roleMap !== undefined), {
    error: "needs a defaultRole, or a roleClaim with its roleMap",
  });

/**
 * The domain of an email, normalized as accounts are, without the trailing dot of a fully
 * qualified name: mail to `corp.test.` goes to `corp.test`, so the SSO domain's rules apply to it.
 */
export function domainOf(email: string): string {
  const normalized = normalizeEmail(email);
  return normalized.slice(normalized.lastIndexOf("@") + 1).replace(/\.+$/, "");
}

/** The role the claims give under `sso`'s mapping. @throws 403 `oauth_denied` when none applies. */
export function ssoRole(sso: SsoDomain, claims: Readonly<Record<string, unknown>>): string {
  if (sso.roleClaim !== undefined && sso.roleMap !== undefined) {
    const raw = claims[sso.roleClaim];
    const values = new Set(Array.isArray(raw) ? raw.filter((value) => typeof value === "string") : typeof raw === "string" ? [raw] : []);
    for (const [value, role] of Object.entries(sso.roleMap)) if (values.has(value)) return role;
  }
  if (sso.defaultRole !== undefined) return sso.defaultRole;
  throw new PortcullisError("oauth_denied", "Your organization has given your account no role here.");
}

/** Whether the provider's own authentication meets `sso`'s second-factor policy. */
export function satisfiesSecondFactor(sso: SsoDomain | undefined, claims: Readonly<Record<string, unknown>>): boolean {
  const policy = sso?.secondFactor;
  if (!policy) return false;
  const amr = Array.isArray(claims.amr) ? claims.amr : [];
  if (policy.amr?.some((method) => amr.includes(method))) return true;
  return typeof claims.acr === "string" && policy.acr?.includes(claims.acr) === true;
}

/** 403 `sso_required`, naming the route that starts the domain's single sign-on under `authRouter`'s mount. */
export function ssoRequired(req: Request, sso: SsoDomain): PortcullisError {
  const ssoUrl = `${req.baseUrl}/oauth/${sso.provider}`;
  return new PortcullisError("sso_required", `Accounts at ${sso.domain} sign in through single sign-on: ${ssoUrl}`, { data: { ssoUrl } });
}
