const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Plumbing shared by the portcullis packages: GET, HEAD and OPTIONS, the methods that change
 * nothing (RFC 9110, 9.2.1). A forgery cannot abuse them, their bodies are not checked, and
 * their answers may be refused as a whole.
 *
 * @example
 * if (!isSafeMethod(req.method)) res.vary("Origin");
 */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method);
}
