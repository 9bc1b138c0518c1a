/**
 * Every refusal portcullis answers with, by stable code. Clients may branch on the code;
 * the HTTP status and the default sentence follow from it.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, detail: "The request is malformed." },
  missing_credentials: { status: 401, detail: "Authentication credentials were not provided." },
  invalid_key: { status: 401, detail: "Invalid API key." },
  expired_key: { status: 401, detail: "The API key has expired." },
  revoked_key: { status: 401, detail: "The API key has been revoked." },
  invalid_credentials: { status: 401, detail: "Invalid email or password." },
  session_expired: { status: 401, detail: "The session has expired; sign in again." },
  reauthentication_required: { status: 401, detail: "Confirm your password to continue." },
  mfa_required: { status: 401, detail: "Enter a code from your authenticator app, or a recovery code, to finish signing in." },
  oauth_failed: { status: 401, detail: "The sign-in provider's answer could not be verified; start again." },
  insufficient_permissions: { status: 403, detail: "The credentials lack the permissions this operation requires." },
  cross_site_request: { status: 403, detail: "Requests from another site cannot use this session." },
  sso_required: { status: 403, detail: "Accounts with this email sign in through their organization's single sign-on." },
  oauth_denied: { status: 403, detail: "The sign-in provider did not grant access." },
  email_unverified: { status: 403, detail: "The sign-in provider has not verified this account's email address." },
  signup_closed: { status: 403, detail: "No account is linked to this sign-in, and new accounts cannot be created here." },
  https_required: { status: 403, detail: "Signing in needs an HTTPS connection. If this site is served over HTTPS, its server is missing the \"trust proxy\" setting." },
  not_found: { status: 404, detail: "Not found." },
  conflict: { status: 409, detail: "The request conflicts with the current state of the resource." },
  account_exists: { status: 409, detail: "An account with this email exists: sign in to it, then link this sign-in provider from its account page." },
  identity_in_use: { status: 409, detail: "This sign-in provider's account is linked to another user." },
  last_sign_in_method: { status: 409, detail: "This is the account's last way to sign in; add another before removing it." },
  payload_too_large: { status: 413, detail: "The request body is too large." },
  unsupported_media_type: { status: 415, detail: "The request body must be JSON." },
  rate_limit_exceeded: { status: 429, detail: "Too many requests; retry later." },
  request_refused: { status: 400, detail: "The request was refused." },
  invalid_token: { status: 400, detail: "This link is invalid, already used or expired: ask for a new one." },
  oauth_invalid_state: { status: 400, detail: "This sign-in could not be matched to one this browser started (a wrong, used or expired state); start again." },
  internal_error: { status: 500, detail: "Something went wrong on our side; retry later." },
  auth_unavailable: { status: 503, detail: "Authentication is temporarily unavailable; retry later." },
  provider_unavailable: { status: 503, detail: "The sign-in provider did not answer in time; retry later." },
} as const satisfies Record<string, { status: number; detail: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface PortcullisErrorOptions {
  /** The underlying failure (a store error, a parse error); kept for logs, never sent to clients. */
  cause?: unknown;
  /** Response headers this refusal needs (`WWW-Authenticate`, `Retry-After`). */
  headers?: Readonly<Record<string, string>>;
  /** Structured facts a custom formatter may expose, such as the missing scopes. */
  data?: Readonly<Record<string, unknown>>;
  /**
   * For `request_refused` only: the 4xx status of the host's own error it stands for (a 403, a
   * 422…). Every other code has the one status of its row in {@link ERROR_CODES}.
   * @default the code's status
   */
  status?: number;
}

/**
 * Marks every PortcullisError, whichever copy of this module made it (an app may have two versions
 * of @portcullis/core installed): `Symbol.for` gives each copy the same symbol.
 */
const REFUSAL = Symbol.for("@portcullis/core PortcullisError v1");

/**
 * A request that portcullis refuses. `message` is a sentence safe to show a client: it never
 * holds a key, a password or whether an account exists. `instanceof PortcullisError` is true for
 * refusals made by any installed copy of @portcullis/core, so one copy's error handler answers
 * another copy's refusals.
 *
 * @example
 * throw new PortcullisError("insufficient_permissions", "Missing scope: write");
 */
export class PortcullisError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== PortcullisError) return Function.prototype[Symbol.hasInstance].call(this, value); // a subclass: its own prototype chain
    return typeof value === "object" && value !== null && (value as { [REFUSAL]?: unknown })[REFUSAL] === true;
  }

  override readonly name = "PortcullisError";
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, detail?: string, options: PortcullisErrorOptions = {}) {
    super(detail ?? ERROR_CODES[code].detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = statusOf(code, options.status);
    this.headers = options.headers ?? {};
    this.data = options.data ?? {};
  }

  /** The client-facing sentence (the same as `message`). */
  get detail(): string {
    return this.message;
  }
}

function statusOf(code: ErrorCode, status: number | undefined): number {
  if (status === undefined) return ERROR_CODES[code].status;
  if (code !== "request_refused" || !Number.isInteger(status) || status < 400 || status > 499) {
    throw new TypeError(`PortcullisError: "status" is only for request_refused, as a 4xx status; got ${status} for ${code}`);
  }
  return status;
}

Object.defineProperty(PortcullisError.prototype, REFUSAL, { value: true });

/**
 * Narrows an unknown thrown value to a portcullis refusal, made by any installed copy of
 * @portcullis/core.
 *
 * @example
 * if (isPortcullisError(error)) res.status(error.status).json({ error: error.code });
 */
export function isPortcullisError(value: unknown): value is PortcullisError {
  return value instanceof PortcullisError;
}

/**
 * A configuration mistake found when a factory runs. The message starts with the factory's
 * name and says how to fix it, so it reads well in a crash at startup.
 */
export function configError(factory: string, message: string): TypeError {
  return new TypeError(`${factory}: ${message}`);
}
