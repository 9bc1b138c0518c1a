import type { AuditEvent } from "./audit-sink";
import type { Principal } from "./principal";

/**
 * Who acted, as the access log names them: the key id or the user id, and the owner. Never the
 * key, never a session id.
 *
 * @example
 * audit.record(auditEventFromRequest(req, { action: "api_key.create", outcome: "success", ...auditActor(req.auth) }));
 */
export function auditActor(principal: Principal | undefined): Pick<AuditEvent, "keyId" | "userId" | "owner"> {
  if (!principal) return {};
  return principal.kind === "api_key"
    ? { keyId: principal.keyId, owner: principal.owner }
    : { userId: principal.userId, owner: principal.owner };
}
