import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { requireScope } from "@portcullis/require-scope";
import {
  AUDIT_ACTIONS,
  fromRequestError,
  PortcullisError,
  ScopePolicy,
  type AuditSink,
  type ErrorResponseOptions,
  type StoredAuditEvent,
} from "@portcullis/core";
import {
  asyncHandler,
  checked,
  createErrorResponder,
  errorResponseOptions,
  parseRequest,
  errorOptionsOf,
  DEFAULT_STORE_TIMEOUT_MS,
  isScopePolicy,
  resolveOptions,
  callStore,
  AUDIT_SINK,
} from "@portcullis/core/internal";
import { z } from "zod";

export interface AccessLogRouterOptions extends ErrorResponseOptions {
  /** Where the events are: the same sink the middlewares record to. */
  readonly audit: AuditSink;
  /** The scope that may read the log (Plexe shows it to the account's administrators). */
  readonly viewScope: string;
  /** The scope policy, for implications such as `admin: "*"`. @default new ScopePolicy() */
  readonly policy?: ScopePolicy;
  /**
   * Let the reader see every owner's events: the overview of all owners by default, one owner's
   * with `owner`, or the events of no owner (unknown keys, failed logins) with `unowned=true`.
   * Otherwise a reader sees only its own owner's events, and `owner` and `unowned` are ignored.
   * For a platform's operators, never for a tenant's administrators.
   * @default false
   */
  readonly allOwners?: boolean;
}

const canList = (value: unknown): value is AuditSink => typeof (value as Partial<AuditSink> | null)?.list === "function";

/** The options, checked; `viewScope` is checked by requireScope, against the policy. */
const accessLogRouterOptions = z.strictObject(
  {
    audit: checked(canList, "must be an AuditSink that can list, such as new RedisAuditSink(redis)"),
    viewScope: z.custom<string>(),
    policy: checked(isScopePolicy, "must be a ScopePolicy").default(() => new ScopePolicy()),
    allOwners: z.boolean().default(false),
    ...errorResponseOptions,
  },
  { error: (issue) => (issue.code === "invalid_type" ? "options are required" : undefined) },
);
const instant = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text));
const query = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).optional(),
    cursor: z.string().min(1).max(40).optional(),
    key_id: z.string().min(1).max(64).optional(),
    user_id: z.string().min(1).max(64).optional(),
    owner: z.string().min(1).max(200).optional(),
    unowned: z.enum(["true", "false"]).transform((text) => text === "true").optional(),
    outcome: z.enum(["success", "failure"]).optional(),
    action: z.enum(AUDIT_ACTIONS).optional(),
    since: instant.optional(),
    until: instant.optional(),
  })
  .strip()
  .refine((q) => !(q.unowned === true && q.owner !== undefined), { message: "pass owner or unowned=true, not both", path: ["unowned"] });

/**
 * GET / pages through the access log newest first, filtered by `key_id`, `user_id`, `outcome`,
 * `action` and time (`since`, `until`, ISO 8601), for a principal holding `viewScope`; each page
 * gives `next_cursor`. Readers see their own owner's log, whatever they ask; with `allOwners`
 * they see the overview of every owner, one owner's log (`owner`) or the events of no owner
 * (`unowned=true`).
 *
 * @example
 * app.use("/api/auth/audit", accessLogRouter({ audit, viewScope: "admin", policy: scopes }));
 */
export function accessLogRouter(options: Readonly<AccessLogRouterOptions>): Router {
  const { audit, viewScope, policy, allOwners, ...config } = resolveOptions("accessLogRouter", accessLogRouterOptions, options);
  const respond = createErrorResponder(config);
  const router = express.Router();

  router.get("/", requireScope(viewScope, { policy, ...errorOptionsOf(config) }), asyncHandler(async function listAccessLog(req, res) {
    // The log spans the owner's every app: a key bound to one app does not read it.
    if (req.auth!.app !== undefined) throw new PortcullisError("insufficient_permissions", "A key bound to an app cannot read the account's access log.");
    const q = parseRequest(query, req.query, "query");
    const which: { readonly owner?: string } | { readonly unowned: true } = !allOwners
      ? { owner: req.auth!.owner }
      : q.unowned === true
        ? { unowned: true }
        : q.owner === undefined
          ? {}
          : { owner: q.owner };
    const page = await callStore(AUDIT_SINK.list, DEFAULT_STORE_TIMEOUT_MS, () => audit.list({
      ...which,
      limit: q.limit ?? 50,
      ...(q.cursor === undefined ? {} : { before: q.cursor }),
      ...(q.key_id === undefined ? {} : { keyId: q.key_id }),
      ...(q.user_id === undefined ? {} : { userId: q.user_id }),
      ...(q.outcome === undefined ? {} : { outcome: q.outcome }),
      ...(q.action === undefined ? {} : { action: q.action }),
      ...(q.since === undefined ? {} : { since: q.since }),
      ...(q.until === undefined ? {} : { until: q.until }),
    }));
    res.set("Cache-Control", "no-store").json({ events: page.events.map(eventJson), next_cursor: page.next ?? null });
  }));

  router.use(function accessLogRouterErrors(error: unknown, req: Request, res: Response, next: NextFunction) {
    respond(fromRequestError(error), req, res, next);
  });
  return router;
}

function eventJson(event: StoredAuditEvent) {
  return {
    id: event.id,
    at: new Date(event.at).toISOString(),
    action: event.action,
    outcome: event.outcome,
    code: event.code ?? null,
    key_id: event.keyId ?? null,
    user_id: event.userId ?? null,
    owner: event.owner ?? null,
    target_id: event.targetId ?? null,
    ip: event.ip ?? null,
    user_agent: event.userAgent ?? null,
    method: event.method ?? null,
    route: event.route ?? null,
  };
}
