import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express";
import { fromBodyParserError, unauthenticated, utf8Only, type ErrorResponder, type ScopePolicy } from "@portcullis/core";
import { findHiddenWrites } from "./hidden-writes";
import { hiddenWriteRefusal, unreadableBodyRefusal } from "./refusals";
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

  const check = (body: unknown, plan: readonly CompiledRedactionRule[], req: Request, res: Response, next: NextFunction) => {
    const hidden = findHiddenWrites(fieldsOf(body), plan);
    if (hidden.length === 0) return next();
    if (!req.auth) return respond(unauthenticated(req, realm), req, res, next);
    respond(hiddenWriteRefusal(unique(hidden.map((rule) => rule.scope)), unique(hidden.map((rule) => rule.path)), realm), req, res, next);
  };

  return function guardWrite(req: Request, res: Response, next: NextFunction): void {
    const plan = planRedaction(compiled, policy, req.auth?.scopes ?? []);
    if (plan.length === 0) return next();
    if (req.body !== undefined) return check(req.body, plan, req, res, next);
    if (!hasBody(req)) return next();
    if (!req.is(JSON_TYPES)) return respond(req.auth ? unreadableBodyRefusal() : unauthenticated(req, realm), req, res, next);
    parseJson(req, res, (error?: unknown) => {
      if (error) return respond(fromBodyParserError(error), req, res, next);
      check(req.body, plan, req, res, next);
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

/** Whether the request carries a body, as body parsers decide it. */
function hasBody(req: Request): boolean {
  return req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] ?? "0") !== "0";
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
