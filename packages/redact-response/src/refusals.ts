import { challenge, challengeableScopes, PortcullisError } from "@portcullis/core";

/** The 403 for a response mostly made of fields the principal may not see. */
export function mostlyHiddenRefusal(missingScopes: readonly string[], realm: string): PortcullisError {
  return insufficientScope(`Most of this response requires the missing scope${plural(missingScopes)}: ${missingScopes.join(", ")}.`, missingScopes, realm);
}

/** The 403 for a write that sets fields the principal may not read, naming the scopes as requireScope does. */
export function hiddenWriteRefusal(missingScopes: readonly string[], fields: readonly string[], realm: string): PortcullisError {
  return insufficientScope(`Missing scope${plural(missingScopes)}: ${missingScopes.join(", ")} (to set ${fields.join(", ")}).`, missingScopes, realm, { fields });
}

function insufficientScope(detail: string, missingScopes: readonly string[], realm: string, data: Record<string, unknown> = {}): PortcullisError {
  // An endpoint scope such as "GET /models/:id" is named in the detail and the data, but cannot be
  // a token of the challenge's scope list.
  const challengeable = challengeableScopes(missingScopes);
  const params: Record<string, string> = { error: "insufficient_scope" };
  if (challengeable.length > 0) params.scope = challengeable.join(" ");
  return new PortcullisError("insufficient_permissions", detail, {
    headers: { "WWW-Authenticate": challenge("Bearer", realm, params) },
    data: { missing_scopes: missingScopes, ...data },
  });
}

function plural(values: readonly string[]): string {
  return values.length > 1 ? "s" : "";
}
