/**
 * The form of a username that login attempts are counted under: Unicode NFKC, lower-cased and
 * trimmed, so `Alice`, ` alice ` and `ａｌｉｃｅ` (full-width) share one counter. Anything that is
 * not a string, or is blank once trimmed, gives `undefined`: the attempt is then counted under a
 * fixed placeholder (and always against its IP).
 *
 * NFKC runs again after lower-casing, because a few characters lower-case to sequences that are
 * not themselves in NFKC; the result is stable: normalising it again changes nothing.
 *
 * @example
 * normalizeUsername("  Alice@Example.COM "); // "alice@example.com"
 * normalizeUsername("ｂｏｂ");                // "bob"
 * normalizeUsername("j\ud800rg");            // "j\ufffdrg"
 * normalizeUsername(42);                      // undefined
 */
export function normalizeUsername(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  // A lone surrogate half is U+FFFD, as the stores read it back: one counter, one account.
  const normalized = value.toWellFormed().normalize("NFKC").toLowerCase().normalize("NFKC").trim();
  return normalized === "" ? undefined : normalized;
}
