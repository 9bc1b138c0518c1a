import { PortcullisError } from "./errors";

/**
 * What a schema library's `safeParse` answers (zod's shape), described by shape so core does not
 * depend on one: the routers pass their zod schemas.
 */
export interface RequestSchema<T> {
  safeParse(value: unknown):
    | { readonly success: true; readonly data: T }
    | { readonly success: false; readonly error: { readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[] } };
}

/**
 * Parses a request body or query, or throws a 400 `invalid_request` naming the first bad field
 * (`scopes.0: expected string`), never echoing the value.
 *
 * @example
 * const body = parseRequest(createKeyBody, req.body, "body");
 */
export function parseRequest<T>(schema: RequestSchema<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : where;
  throw new PortcullisError("invalid_request", `${field}: ${issue?.message ?? "invalid"}`);
}
