import type { Request } from "express";
import type { PortcullisRequestState } from "./principal";

/**
 * This request's portcullis state (`req.portcullis`), created on first use. A middleware writes
 * what it tells the next ones here, never in a module-level WeakMap, which only one copy of the
 * module can read.
 *
 * @example
 * requestState(req).sessionExpired = true;
 */
export function requestState(req: Request): PortcullisRequestState {
  return (req.portcullis ??= {});
}
