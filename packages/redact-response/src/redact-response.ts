import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express";
import { createErrorResponder, isSafeMethod, type ErrorResponder } from "@portcullis/core/internal";
import { applyRedaction } from "./apply-redaction";
import { privateCacheControl } from "./cache-control";
import { decideRedaction } from "./decide-redaction";
import { createWriteGuard } from "./guard-writes";
import { resolveOptions, type RedactResponseConfig, type RedactResponseOptions } from "./options";
import { mostlyHiddenRefusal } from "./refusals";
import { compileRedactionRules, planRedaction, type CompiledRedactionRule, type RedactionRule } from "./redaction-rules";
import { serializeJson } from "./serialize-json";

/** Express's own `res.json`, which serializes and sends the body and does nothing else. */
const EXPRESS_JSON = express.response.json;

/**
 * Removes from JSON responses the fields the principal (`req.auth`) lacks the scope for, and
 * names them in `X-Redacted-Fields`; when more than `threshold` of the body would go, refuses the
 * request with 403 `insufficient_permissions` instead. This is Clarifai's rule: "Rejected Request:
 * if a large portion of the response requires a scope that is missing. Redacted Response: if
 * majority of the response has the required scope(s), a small portion of the response will be
 * redacted".
 *
 * Mount it once per resource, in front of its router, so that no method is forgotten: it then
 * inspects every answer of the resource, of every method, sent with `res.json(body)`,
 * `res.send(body)` or `res.jsonp(body)` of an object or an array, with a status below 400.
 * Strings, Buffers, streams, error responses and bodies with no fields (`null`, numbers) pass
 * untouched. No principal counts as holding no scopes; pair it with `requireScope` to refuse
 * unauthenticated requests. The handler's object is never modified. Only GET, HEAD and OPTIONS
 * answers may be refused as mostly hidden: a write's answer comes after the write, so it is
 * always sent redacted.
 *
 * Writing a field you may not read needs the scope that reads it: a request of any other method
 * whose body sets a field at a rule's path (any value, `null` included; names compared without
 * case) is refused with 403 `insufficient_permissions` naming the missing scope (401 when
 * anonymous) before the handler runs. A body parsed before it (a form parser, say) is checked as
 * parsed; an unread JSON body is parsed here within `bodyLimit` (400, 413, 415 for a bad one) and
 * left on `req.body` for the route; an unread body of another type cannot be checked and is
 * refused with 415 `unsupported_media_type`, so JSON sent as `text/plain` cannot slip through.
 * Principals holding every rule's scope pass without their body being read.
 *
 * Every inspected response gets `Cache-Control: private` (see `privateCacheControl`), redacted or
 * not: the full body shown to an admin must not be stored by a shared cache and served to a key
 * without `admin`, any more than the redacted one to an admin.
 *
 * @example
 * const scopes = new ScopePolicy({ implies: { admin: "*" } });
 * const models = express.Router();
 * models.get("/:id", requireScope("Models:Get", { policy: scopes }), getModel);
 * models.patch("/:id", requireScope("Models:Add", { policy: scopes }), express.json(), patchModel);
 * app.use(
 *   "/v2/models",
 *   apiKeyAuth({ keys }),
 *   redactResponse(
 *     [
 *       { path: "model.training_data", scope: "admin" },
 *       { path: "model.versions[*].metrics", scope: "Models:Train" },
 *     ],
 *     { policy: scopes },
 *   ),
 *   models,
 * );
 */
export function redactResponse(rules: readonly RedactionRule[], options: Readonly<RedactResponseOptions> = {}): RequestHandler {
  const config = resolveOptions(options);
  const setup: Setup = { config, compiled: compileRedactionRules(rules, config.policy), respond: createErrorResponder(options) };
  const { policy, realm, bodyLimit } = config;
  const guardWrite = createWriteGuard({ compiled: setup.compiled, respond: setup.respond, policy, realm, bodyLimit });

  return function redactResponseMiddleware(req, res, next) {
    const json = res.json;
    // Express's res.send(object) calls this.json(object), so both paths come through here.
    res.json = function redactingJson(body?: unknown) {
      if (!inspects(res, body)) return json.call(res, body);
      const sent = redactBody(setup, body, req, res, next);
      if (sent === undefined) return res;
      // Another wrapper of res.json (an envelope, another redactResponse) gets the redacted body, at
      // the price of a second serialization; Express's own json would only redo ours, so send it.
      if (sent.serialized === undefined || json !== EXPRESS_JSON) return json.call(res, sent.value);
      if (!res.get("Content-Type")) res.setHeader("Content-Type", "application/json");
      return res.send(sent.serialized);
    };
    // res.jsonp serializes by itself, without res.json: left alone it would send every field.
    const jsonp = res.jsonp;
    res.jsonp = function redactingJsonp(body?: unknown) {
      if (!inspects(res, body)) return jsonp.call(res, body);
      const sent = redactBody(setup, body, req, res, next);
      return sent === undefined ? res : jsonp.call(res, sent.value);
    };
    // GET, HEAD and OPTIONS change nothing: their bodies are not checked, and their answers may be refused.
    if (isSafeMethod(req.method)) return next();
    guardWrite(req, res, next);
  };
}

/** What one redactResponse resolved at creation. */
interface Setup {
  readonly config: RedactResponseConfig;
  readonly compiled: readonly CompiledRedactionRule[];
  readonly respond: ErrorResponder;
}

/** A body redactResponse looks into: an object or array sent with a status below 400. */
function inspects(res: Response, body: unknown): body is object {
  return !res.headersSent && res.statusCode < 400 && body !== null && typeof body === "object";
}

/**
 * Decides what a JSON body becomes and sets the headers that go with it: the body itself when
 * nothing is redacted, the redacted body (and its serialization, when one was made), or
 * undefined when the request was refused and answered already.
 */
function redactBody(
  { config, compiled, respond }: Setup,
  body: object,
  req: Request,
  res: Response,
  next: NextFunction,
): { value: unknown; serialized?: string } | undefined {
  const plan = planRedaction(compiled, config.policy, req.auth?.scopes ?? []);
  const outcome = applyRedaction(body, plan, config.marker);
  if (outcome.redacted.length === 0) {
    res.setHeader("Cache-Control", privateCacheControl(res.getHeader("Cache-Control")));
    return { value: body };
  }
  const serialized = serializeJson(outcome.value, req.app);
  if (serialized === undefined) return { value: outcome.value }; // a json replacer dropped the whole body
  // A write's answer comes after the handler changed the resource: a 403 then would say it did
  // not. It is sent redacted whatever its share (a threshold of 1 never refuses).
  const threshold = isSafeMethod(req.method) ? config.threshold : 1;
  const decision = decideRedaction(outcome, { sentSize: serialized.length, markerSize: config.markerSize }, threshold);
  if (decision.action === "refuse") {
    if (config.header !== false) res.removeHeader(config.header); // set by another redactResponse
    respond(mostlyHiddenRefusal(decision.missingScopes, config.realm), req, res, next);
    return undefined;
  }
  res.setHeader("Cache-Control", privateCacheControl(res.getHeader("Cache-Control")));
  if (config.header !== false) appendList(res, config.header, decision.fields);
  return { value: outcome.value, serialized };
}

/** Adds names to a list header, after those another redactResponse on the same route set. */
function appendList(res: Response, name: string, values: readonly string[]): void {
  const current = res.getHeader(name);
  res.setHeader(name, typeof current === "string" && current !== "" ? `${current}, ${values.join(", ")}` : values.join(", "));
}
