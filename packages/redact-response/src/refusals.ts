import { insufficientScope, type PortcullisError } from "@portcullis/core";

/** The 403 for a response mostly made of fields the principal may not see. */
export function mostlyHiddenRefusal(missingScopes: readonly string[], realm: string): PortcullisError {
  return insufficientScope(`Most of this response requires the missing scope${plural(missingScopes)}: ${missingScopes.join(", ")}.`, missingScopes, realm);
}

/** The 403 for a write that sets fields the principal may not read, naming the scopes as requireScope does. */
export function hiddenWriteRefusal(missingScopes: readonly string[], fields: readonly string[], realm: string): PortcullisError {
  return insufficientScope(`Missing scope${plural(missingScopes)}: ${missingScopes.join(", ")} (to set ${fields.join(", ")}).`, missingScopes, realm, { fields });
}

function plural(values: readonly string[]): string {
  return values.length > 1 ? "s" : "";
}
