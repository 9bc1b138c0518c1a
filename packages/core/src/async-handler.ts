import type { NextFunction, Request, RequestHandler, Response } from "express";

/**
 * An async route handler whose rejection goes to `next(error)`, as Express 5 does by itself:
 * Express 4 ignores the promise a handler returns, so a refusal thrown there would never be
 * answered and would surface as an unhandled rejection. The handler keeps its name in stack
 * traces and in the router's stack.
 *
 * @example
 * router.get("/", asyncHandler(async function listKeys(req, res) { res.json(await keys.list(req.auth!.owner)); }));
 */
export function asyncHandler(handler: (req: Request, res: Response, next: NextFunction) => Promise<unknown>): RequestHandler {
  const forwarding: RequestHandler = (req, res, next) => {
    // Express 5 replaces a falsy rejection value the same way; next(undefined) would skip ahead.
    handler(req, res, next).catch((error: unknown) => next(error || new Error("Rejected promise")));
  };
  return Object.defineProperty(forwarding, "name", { value: handler.name });
}
