import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express";
import { fromRequestError, utf8Only, type PortcullisError, type ScopePolicy } from "@portcullis/core";
import { hasRequestBody, jsonBodyRequired, parsedBody, unauthenticated, type ErrorResponder } from "@portcullis/core/internal";
import { findHiddenWrites } from "./hidden-writes";
import { hiddenWriteRefusal } from "./refusals";
import { planRedaction, type CompiledRedactionRule } from "./redaction-rules";

const JSON_TYPES = ["application/json", "application/*+json"];

export interface WriteGuardSetup {
  readonly compiled: readonly CompiledRedactionRule[];
  readonly policy: ScopePolicy;
  readonly realm: string;
  readonly bodyLimit: number | string;
  readonly respond: ErrorResponder;
}

/**
 * Refuses a write whose body sets a field at a rule's path that the principal lacks the scope
 * for, before the handler runs. A body parsed before (by any parser) is checked as it is; an
 * unread JSON body is parsed here, within `bodyLimit`, and left on `req.body` for the route (whose
 * own express.json then skips it); an unread body of another type cannot be checked and is
 * refused with 415, so JSON sent as text/plain to a lenient parser cannot slip through.
 * Principals holding every rule's scope pass without their body being read.
 */
export function createWriteGuard({ compiled, policy, realm, bodyLimit, respond }: WriteGuardSetup) {
  const parseJson: RequestHandler = express.json({ limit: bodyLimit, type: JSON_TYPES, verify: utf8Only });

  /** The refusal a body earns, or undefined when it sets no field the principal may not read. */
  const refusalFor = (body: unknown, plan: readonly CompiledRedactionRule[], req: Request): PortcullisError | undefined => {
    const hidden = findHiddenWrites(fieldsOf(body), plan);
    if (hidden.length === 0) return undefined;
    if (!req.auth) return unauthenticated(req, realm);
    return hiddenWriteRefusal(unique(hidden.map((rule) => rule.scope)), unique(hidden.map((rule) => rule.path)), realm);
  };

  /**
   * Decides (a refusal or a parse error for `respond`, or undefined to go on), then acts outside
   * the try: a throw while deciding (a bug, a host parser's odd body) goes to next(error) rather
   * than escaping body-parser's callback, where nothing would catch it and Node would exit; a
   * throw from the route that next() runs is Express's to catch.
   */
  const decide = (decision: () => unknown, req: Request, res: Response, next: NextFunction): void => {
    let refusal: unknown;
    try {
      refusal = decision();
    } catch (error) {
      return next(error);
    }
    if (refusal === undefined) return next();
    respond(refusal, req, res, next);
  };

  return function guardWrite(req: Request, res: Response, next: NextFunction): void {
    const plan = planRedaction(compiled, policy, req.auth?.scopes ?? []);
    if (plan.length === 0) return next();
    const body = parsedBody(req);
    if (body !== undefined) return decide(() => refusalFor(body, plan, req), req, res, next);
    if (!hasRequestBody(req)) return next();
    if (!req.is(JSON_TYPES)) return respond(req.auth ? jsonBodyRequired() : unauthenticated(req, realm), req, res, next);
    parseJson(req, res, (error?: unknown) => {
      decide(() => (error ? fromRequestError(error) : refusalFor(req.body, plan, req)), req, res, next);
    });
  };
}

/** A body a text or raw parser read is checked for fields if it is JSON; other text has none. */
function fieldsOf(body: unknown): unknown {
  if (typeof body !== "string" && !Buffer.isBuffer(body)) return body;
  const text = String(body).trim();
  if (!text.startsWith("{") && !text.startsWith("[")) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
