import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from "express";
import { requireRecentAuth, requireScope } from "@portcullis/require-scope";
import { endpointIdsOf, endpointRefusal } from "@portcullis/require-scope/internal";
import {
  insufficientScope,
  fromRequestError,
  utf8Only,
  PortcullisError,
  type ApiKeys,
  type AuditAction,
  type AuditRecorder,
  type ApiKeyRecord,
  type ErrorResponseOptions,
  type Principal,
} from "@portcullis/core";
import {
  checked,
  createErrorResponder,
  errorResponseOptions,
  parseRequest,
  errorOptionsOf,
  hasRequestBody,
  isApiKeys,
  jsonBodyRequired,
  KEY_ID_PATTERN,
  unauthenticated,
  auditActor,
  auditEventFromRequest,
  realmOption,
  resolveOptions,
} from "@portcullis/core/internal";
import { z } from "zod";
import { keyJson } from "./key-json";
import { createKeyBody, listKeysQuery, rotateKeyBody, usageQuery } from "./request-schemas";

export interface ApiKeysRouterOptions extends ErrorResponseOptions {
  /** The key service; its scope policy decides what a caller holds. */
  readonly keys: ApiKeys;
  /**
   * The scope a principal needs to manage keys at all, or `false` to let any authenticated
   * principal manage its owner's keys. Required, so that choice is made on purpose.
   */
  readonly manageScope: string | false;
  /**
   * Named sets of scopes a client may ask for as `permission_level` instead of `scopes`
   * (Plexe's `{ read_only: ["read"], read_write: ["read", "write"] }`).
   * @default {}
   */
  readonly permissionLevels?: Readonly<Record<string, readonly string[]>>;
  /**
   * The status of a successful create or rotate (Plexe's clients expect 200).
   * @default 201
   */
  readonly createdStatus?: 200 | 201;
  /**
   * The status of a successful revoke: 200 answers with the revoked key, 204 with no body.
   * @default 204
   */
  readonly revokedStatus?: 200 | 204;
  /**
   * The longest grace period a rotation may give the old key, in seconds (at most ten years).
   * @default 2592000 (30 days)
   */
  readonly maxGracePeriodSeconds?: number;
  /**
   * The realm named in `WWW-Authenticate`.
   * @default "api"
   */
  readonly realm?: string;
  /**
   * Guards create and rotate: a session must have proved its password recently (API keys pass).
   * `false` turns it off.
   * @default requireRecentAuth({ maxAgeMs: 15 minutes, now: keys.now })
   */
  readonly recentAuth?: RequestHandler | false;
  /**
   * The access log: each create, revoke and rotate, with who did it and to which key.
   * @default undefined (no access log)
   */
  readonly audit?: AuditRecorder;
}

const TEN_YEARS_SECONDS = 10 * 366 * 24 * 3600;
const GRACE_RULE = "must be a whole number of seconds, at most ten years";

const isAuditRecorder = (value: unknown): value is AuditRecorder => typeof (value as Partial<AuditRecorder> | null)?.record === "function";

/** The options, checked; the scopes they name are then checked against the keys' scope policy. */
const apiKeysRouterOptions = z
  .strictObject(
    {
      keys: checked(isApiKeys, "is required: pass the same ApiKeys as apiKeyAuth"),
      manageScope: checked(
        (value): value is string | false => value === false || (typeof value === "string" && value !== ""),
        `is required: the scope that may manage keys (such as "admin"), or false to let any authenticated principal manage its own keys`,
      ),
      permissionLevels: z
        .record(
          z.string(),
          checked((value): value is readonly string[] => Array.isArray(value) && value.length > 0, "must be a non-empty array of scopes"),
          { error: `must be an object of named scope lists, such as { read_only: ["read"] }` },
        )
        .default({}),
      createdStatus: z.literal([200, 201]).default(201),
      revokedStatus: z.literal([200, 204]).default(204),
      maxGracePeriodSeconds: z
        .int({ error: GRACE_RULE })
        .min(0, { error: GRACE_RULE })
        .max(TEN_YEARS_SECONDS, { error: GRACE_RULE })
        .default(30 * 24 * 3600),
      realm: realmOption,
      recentAuth: checked(
        (value): value is RequestHandler | false => value === false || typeof value === "function",
        "must be a middleware such as requireRecentAuth({ maxAgeMs }), or false",
      ).optional(),
      audit: checked(isAuditRecorder, "must be an AuditSink, such as new MemoryAuditSink()").optional(),
      ...errorResponseOptions,
    },
    { error: (issue) => (issue.code === "invalid_type" ? "options are required" : undefined) },
  )
  .superRefine(({ keys, manageScope, permissionLevels }, ctx) => {
    // A misspelt scope would lock key management for everyone, or offer a level nobody can use.
    const named: [string, readonly string[]][] = [
      ...(manageScope === false ? [] : [[`"manageScope"`, [manageScope]] as [string, readonly string[]]]),
      ...Object.entries(permissionLevels).map(([level, scopes]): [string, readonly string[]] => [`"permissionLevels.${level}"`, scopes]),
    ];
    for (const [option, scopes] of named) {
      try {
        keys.scopes.validate(scopes);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `${option}: ${(error as Error).message.replace(/^scopes: /, "")}` });
        return;
      }
    }
  });

/**
 * Lets a caller manage its owner's keys: POST / creates (the key is in that response only),
 * GET / lists masked keys, GET /:id, DELETE /:id revokes, POST /:id/rotate. Mount it behind
 * `apiKeyAuth` or `sessionAuth`; another owner's key is a 404, and no caller can create or rotate
 * a key into a scope it does not hold.
 *
 * @example
 * app.use("/api/auth/api-keys", apiKeyAuth({ keys }), apiKeysRouter({ keys, manageScope: "admin" }));
 */
export function apiKeysRouter(options: Readonly<ApiKeysRouterOptions>): Router {
  const config = resolveOptions("apiKeysRouter", apiKeysRouterOptions, options);
  const { keys } = config;
  const respond = createErrorResponder(config);
  const router = express.Router();
  const json = express.json({ limit: "16kb", verify: utf8Only });
  const recordAction = (req: Request, action: AuditAction, targetId: string) =>
    config.audit?.record(auditEventFromRequest(req, { at: keys.now(), action, outcome: "success", targetId, ...auditActor(req.auth) }));
  const recent: RequestHandler[] =
    config.recentAuth === false ? [] : [config.recentAuth ?? requireRecentAuth({ now: keys.now, realm: config.realm, ...errorOptionsOf(config) })];

  router.use(
    config.manageScope
      ? requireScope(config.manageScope, { policy: keys.scopes, realm: config.realm, ...errorOptionsOf(config) })
      : function requireAuthenticated(req, _res, next) {
          if (!req.auth) throw unauthenticated(req, config.realm);
          next();
        },
    // A key limited to some endpoints may manage keys only through the routes it is limited to.
    function requireEndpointAllowed(req, _res, next) {
      const ids = endpointIdsOf(req, []);
      if (!ids.some((id) => keys.scopes.endpointAllowed(req.auth!.scopes, id))) throw endpointRefusal(ids, config.realm);
      next();
    },
  );

  router.post("/", ...recent, json, async function createKey(req, res) {
    if (req.body === undefined) throw jsonBodyRequired();
    const principal = req.auth!;
    const body = parseRequest(createKeyBody, req.body, "body");
    // The grammar first: a malformed scope is a 400 naming `scopes`, whoever asks, and is never
    // named back in a 403's challenge.
    const scopes = keys.scopes.validate(body.scopes ?? scopesOfLevel(body.permission_level!, config.permissionLevels));
    assertHolds(keys, principal, scopes, "create a key with", config.realm);
    const now = keys.now();
    const expiresAt =
      body.expires_in !== undefined ? now + body.expires_in * 1000 : body.expires_at !== undefined ? Date.parse(body.expires_at) : undefined;
    const rateLimit =
      body.rate_limit === undefined ? undefined : { points: body.rate_limit.points, durationSeconds: body.rate_limit.duration_seconds };
    const { key, record } = await keys.create({
      owner: principal.owner,
      name: body.name,
      scopes,
      ...(principal.app === undefined ? {} : { app: principal.app }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
      ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
      ...(rateLimit === undefined ? {} : { rateLimit }),
      // A key that creates a key binds it (ApiKeys enforces the bounds): it expires no later, is
      // limited no looser, counts under the creator's limit and is revoked with it.
      ...(principal.kind === "api_key" ? { createdBy: principal.keyId } : {}),
    });
    recordAction(req, "api_key.create", record.id);
    res.status(config.createdStatus).set("Cache-Control", "no-store").json({ key, ...keyJson(record, now) });
  });

  router.get("/", async function listKeys(req, res) {
    const query = parseRequest(listKeysQuery, req.query, "query");
    const { owner, app } = req.auth!;
    // A key bound to an app lists that app's keys only, from the app's own index.
    const page = await keys.list(owner, {
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
      ...(query.cursor === undefined ? {} : { after: query.cursor }),
      ...(app === undefined ? {} : { app }),
    });
    const now = keys.now();
    res.set("Cache-Control", "no-store").json({ keys: page.records.map((r) => keyJson(r, now)), next_cursor: page.next ?? null });
  });

  // Plexe's usage tracking: requests per day for the owner, and for one key.
  router.get("/usage", async function ownerUsage(req, res) {
    if (req.auth!.app !== undefined) throw appBoundRefusal();
    const { days } = parseRequest(usageQuery, req.query, "query");
    const usage = await keys.usage(req.auth!.owner, days === undefined ? {} : { days });
    res.set("Cache-Control", "no-store").json({ owner: req.auth!.owner, usage, total: usage.reduce((sum, day) => sum + day.requests, 0) });
  });

  router.get("/:id/usage", async function keyUsage(req, res) {
    const record = await findOwned(keys, req);
    const { days } = parseRequest(usageQuery, req.query, "query");
    const usage = await keys.usage(record.owner, { keyId: record.id, ...(days === undefined ? {} : { days }) });
    res.set("Cache-Control", "no-store").json({ key_id: record.id, usage, total: usage.reduce((sum, day) => sum + day.requests, 0) });
  });

  router.get("/:id", async function getKey(req, res) {
    const record = await findOwned(keys, req);
    res.set("Cache-Control", "no-store").json(keyJson(record, keys.now()));
  });

  router.delete("/:id", async function revokeKey(req, res) {
    const current = await findOwned(keys, req);
    // A leaked read-only key must not be able to revoke its owner's admin keys.
    assertHolds(keys, req.auth!, current.scopes, "revoke a key with", config.realm);
    const by = req.auth!.kind === "api_key" ? { by: req.auth!.keyId } : {};
    // Recorded as soon as the key itself is revoked: a failure later in the cascade (503) must not
    // leave a revocation unrecorded, and a retry that finishes it (409) records nothing twice.
    const revoked = await keys.revoke(req.params.id as string, { ...by, onRevoked: (record) => recordAction(req, "api_key.revoke", record.id) });
    if (!revoked) throw notFound();
    if (config.revokedStatus === 204) res.status(204).end();
    else res.status(200).json(keyJson(revoked, keys.now()));
  });

  router.post("/:id/rotate", ...recent, json, async function rotateKey(req, res) {
    // The body is optional, but one that was sent and not read (a form, say) must not be ignored:
    // its grace period would silently become 0 and end the old key at once.
    if (req.body === undefined && hasRequestBody(req)) throw jsonBodyRequired();
    const body = parseRequest(rotateKeyBody, req.body ?? {}, "body");
    const graceSeconds = body.grace_period_seconds ?? 0;
    if (graceSeconds > config.maxGracePeriodSeconds) {
      throw new PortcullisError("invalid_request", `grace_period_seconds: at most ${config.maxGracePeriodSeconds}`);
    }
    const current = await findOwned(keys, req);
    assertHolds(keys, req.auth!, current.scopes, "rotate a key with", config.realm);
    const principal = req.auth!;
    const rotated = await keys.rotate(current.id, {
      gracePeriodMs: graceSeconds * 1000,
      ...(principal.kind === "api_key" ? { by: principal.keyId } : {}),
    });
    if (!rotated) throw notFound();
    recordAction(req, "api_key.rotate", rotated.previous.id);
    const now = keys.now();
    res
      .status(config.createdStatus)
      .set("Cache-Control", "no-store")
      .json({ key: rotated.key, ...keyJson(rotated.record, now), previous: keyJson(rotated.previous, now) });
  });

  router.use(function apiKeysRouterErrors(error: unknown, req: Request, res: Response, next: NextFunction) {
    respond(fromRequestError(error), req, res, next);
  });

  return router;
}

function scopesOfLevel(level: string, levels: Readonly<Record<string, readonly string[]>>): readonly string[] {
  const scopes = Object.hasOwn(levels, level) ? levels[level] : undefined;
  if (!scopes) {
    const known = Object.keys(levels);
    throw new PortcullisError(
      "invalid_request",
      known.length === 0 ? "permission_level: not supported here; give scopes" : `permission_level: use one of ${known.join(", ")}`,
    );
  }
  return scopes;
}

/** A caller can never hand out, renew or take away a scope it does not hold itself. */
function assertHolds(keys: ApiKeys, principal: Principal, scopes: readonly string[], action: string, realm: string): void {
  // Endpoint-limited callers also cannot hand out a key limited to no endpoint (a broader one).
  const missing = keys.scopes.cannotGrant(principal.scopes, scopes);
  if (missing.length > 0) {
    throw insufficientScope(`You cannot ${action} scopes you do not hold: ${missing.join(", ")}.`, missing, realm);
  }
}

const notFound = () => new PortcullisError("not_found", "No API key with this id.");
/** The owner's usage spans every app; a key bound to one app sees its own app's keys only. */
const appBoundRefusal = () => new PortcullisError("insufficient_permissions", "A key bound to an app cannot read the whole account's usage.");

/** Another owner's key (or another app's) answers exactly as a key that does not exist. */
async function findOwned(keys: ApiKeys, req: Request): Promise<ApiKeyRecord> {
  const id = req.params.id;
  if (typeof id !== "string" || !KEY_ID_PATTERN.test(id)) throw notFound();
  const record = await keys.get(id);
  const principal = req.auth!;
  if (!record || record.owner !== principal.owner) throw notFound();
  if (principal.app !== undefined && record.app !== principal.app) throw notFound();
  return record;
}
