import { resolveOptions } from "@portcullis/core/internal";
import { z } from "zod";
import { withHostedDomain } from "./hosted-domain";
import { oidcProvider } from "./oidc-provider";
import type { OAuthProvider } from "./provider";
import { providerBasicsShape, type ProviderBasics } from "./provider-options";

/** Options of {@link googleProvider}. */
export interface GoogleProviderOptions extends Partial<Pick<ProviderBasics, "id" | "name">>, Omit<ProviderBasics, "id" | "name"> {
  /**
   * Only accounts of this Google Workspace domain (the ID token's `hd` claim) may sign in; the
   * account chooser is narrowed to it too.
   * @default undefined (any Google account)
   */
  readonly hostedDomain?: string;
}

const googleProviderOptions = z.strictObject(
  {
    ...providerBasicsShape({ id: "google", name: "Google" }),
    hostedDomain: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, { error: "must be a domain such as example.com" }).optional(),
  },
  { error: (issue) => (issue.code === "invalid_type" ? "options are required: googleProvider({ clientId, clientSecret })" : undefined) },
);

/**
 * Sign in with Google: OpenID Connect at `https://accounts.google.com`, asking for `openid email
 * profile`. Google asserts `email_verified`; with `hostedDomain`, the `hd` claim is checked.
 *
 * @example
 * googleProvider({ clientId: process.env.GOOGLE_CLIENT_ID!, clientSecret: process.env.GOOGLE_CLIENT_SECRET! })
 */
export function googleProvider(options: Readonly<GoogleProviderOptions>): OAuthProvider {
  const { hostedDomain, ...basics } = resolveOptions("googleProvider", googleProviderOptions, options);
  const google = oidcProvider({
    ...basics,
    issuer: "https://accounts.google.com",
    ...(hostedDomain === undefined ? {} : { authorizationParams: { hd: hostedDomain } }),
  });
  return hostedDomain === undefined ? google : withHostedDomain(google, hostedDomain);
}
