import type { Request, Response } from "express";
import { requestState } from "./request-state";

/** The request a login answer belongs to: given the response, its `res.req`. */
function requestOf(target: Request | Response): Request {
  return "req" in target && target.req ? target.req : (target as Request);
}

/**
 * Marks a login answer that is a refusal only for want of a second factor: the password was
 * right (`req.portcullis.passwordAccepted`). A login rate limit then gives the IP its attempt
 * back, as for a success, but keeps the username's count until the code step succeeds, so codes
 * cannot be guessed at the password's pace. Takes the request, or its response (as it did before).
 *
 * @example
 * markPasswordAccepted(req); throw mfaRequired(realm);
 */
export function markPasswordAccepted(target: Request | Response): void {
  requestState(requestOf(target)).passwordAccepted = true;
}

/**
 * Whether `markPasswordAccepted` was called for this request (or its response).
 *
 * @example
 * res.once("finish", () => { if (isPasswordAccepted(req)) refundIp(); });
 */
export function isPasswordAccepted(target: Request | Response): boolean {
  return requestOf(target).portcullis?.passwordAccepted === true;
}
