import type { KeyBudget, KeyRateLimit } from "./key-record";

/** Fields every principal carries, whichever credential authenticated the request. */
interface PrincipalBase {
  /** The account whose resources this principal acts on; key management is scoped to it. */
  readonly owner: string;
  /** The scopes held, as granted (implications are applied by the scope policy, not here). */
  readonly scopes: readonly string[];
  /** The app (tenant, project) the credential is bound to, when it is bound to one. */
  readonly app?: string;
}

/** A request authenticated by an API key. */
export interface ApiKeyPrincipal extends PrincipalBase {
  readonly kind: "api_key";
  readonly keyId: string;
  /** The first key of this key's rotation chain, when it came from a rotation (see `ApiKeyRecord.lineage`). */
  readonly lineage?: string;
  /** The key's own rate limit, read by `keyRateLimit`. */
  readonly rateLimit?: KeyRateLimit;
  /** The limits of the keys that made this one, nearest first: `keyRateLimit` counts each request under them too. */
  readonly countsUnder?: readonly KeyBudget[];
  /** When the key expires; a key it creates may not outlive it. */
  readonly expiresAt?: number;
}

/** A request authenticated by a session cookie. */
export interface SessionPrincipal extends PrincipalBase {
  readonly kind: "session";
  readonly userId: string;
  readonly sessionId: string;
  /** When the user last proved their password (login or re-authentication), in ms since the epoch. */
  readonly authenticatedAt: number;
  /** When the user last proved a second factor (a TOTP or recovery code), if they did in this session. */
  readonly secondFactorAt?: number;
}

/** Who made the request: set once on `req.auth` by the middleware that authenticated it. */
export type Principal = ApiKeyPrincipal | SessionPrincipal;

/**
 * What one portcullis middleware tells another about this request, on `req.portcullis`. It travels
 * with the request, not in a module's memory, so the middlewares still cooperate when an app has
 * two copies of a portcullis package installed (two versions resolved side by side). Each field
 * names who writes it and who reads it; hosts read it, if at all, through the helpers named.
 * Packages add their own fields by declaration merging (`@portcullis/session-auth` adds `sessionAuth`).
 */
export interface PortcullisRequestState {
  /**
   * The request's session cookie named a session that has expired or is gone (logged out,
   * revoked). Written by `sessionAuth` (through `markSessionExpired`); read by `unauthenticated`,
   * so whichever guard refuses the request answers `session_expired`, not `missing_credentials`.
   */
  sessionExpired?: true;
  /**
   * A login answered 401 only for want of a second factor: the password was right. Written by
   * `authRouter` (through `markPasswordAccepted`); read by `loginRateLimit`, which then gives the
   * IP its attempt back. On the request rather than `res.locals`: `res.locals` is the host's (its
   * templates render it), and all of a request's portcullis state is in this one place.
   */
  passwordAccepted?: true;
  /**
   * The endpoint id `endpoint()` named for this request, and the route that named it: a request
   * that falls through to another route loses the name. Read by `requireScope` and the key router.
   */
  endpoint?: { readonly id: string; readonly route: unknown };
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `apiKeyAuth` or `sessionAuth`; absent on unauthenticated requests. */
      auth?: Principal;
      /** What portcullis middlewares tell each other about this request; absent until one does. */
      portcullis?: PortcullisRequestState;
    }
  }
}
