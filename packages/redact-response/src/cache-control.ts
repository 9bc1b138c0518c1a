/**
 * The `Cache-Control` of a response whose body depends on the principal's scopes: `private`, so
 * no shared cache (a CDN, a proxy) stores one principal's view and serves it to another. The
 * host's other directives are kept (`max-age=60` still lets the client's own cache reuse it);
 * `public`, `s-maxage` and a field-limited `private="…"` are dropped as they would let a shared
 * cache store it; `no-store` and `private` already forbid that and are left as they are.
 *
 * @example
 * privateCacheControl(undefined); // "private"
 * privateCacheControl("public, max-age=60"); // "private, max-age=60"
 * privateCacheControl("no-store"); // "no-store"
 */
export function privateCacheControl(current: number | string | readonly string[] | undefined): string {
  const directives = (Array.isArray(current) ? current.join(",") : String(current ?? ""))
    .split(",")
    .map((directive) => directive.trim())
    .filter((directive) => directive !== "");
  const names = directives.map((directive) => directive.split("=", 1)[0]!.trim().toLowerCase());
  if (directives.some((directive, i) => names[i] === "no-store" || directive.toLowerCase() === "private")) return directives.join(", ");
  const kept = directives.filter((_, i) => names[i] !== "public" && names[i] !== "s-maxage" && names[i] !== "private");
  return ["private", ...kept].join(", ");
}
