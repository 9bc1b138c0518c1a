/** One server of the HTTP benchmark, and what it is compared with. */
export interface Variant {
  /** Also the file name under bench/servers/. */
  readonly name: string;
  readonly description: string;
  /** The variant whose req/s, in the same round, this one is divided by; none for a baseline. */
  readonly baseline?: string;
  /** The status every response must have; anything else fails the run. */
  readonly expectedStatus: number;
  /** Its store needs a PostgreSQL (the driver starts one and passes DATABASE_URL); Redis by default. */
  readonly postgres?: true;
}

export const VARIANTS: readonly Variant[] = [
  { name: "bare", description: "Express alone, GET /api/projects (the ceiling)", expectedStatus: 200 },
  { name: "bare-two-layers", description: "Express + two no-op middlewares where apiKeyAuth and requireScope sit (Express's own share)", baseline: "bare", expectedStatus: 200 },
  { name: "api-key-cached", description: "apiKeyAuth, verified-key cache on, + requireScope", baseline: "bare", expectedStatus: 200 },
  { name: "api-key-uncached", description: "apiKeyAuth, cache off (one HGETALL per request), + requireScope", baseline: "bare", expectedStatus: 200 },
  { name: "api-key-uncached-postgres", description: "apiKeyAuth, cache off, on PostgresKeyStore (primary-key SELECTs: the lookups of one event-loop turn in one statement), + requireScope", baseline: "bare", expectedStatus: 200, postgres: true },
  { name: "api-key-rate-limited", description: "api-key-cached + keyRateLimit on Redis (one count per request)", baseline: "bare", expectedStatus: 200 },
  { name: "session", description: "sessionAuth on Redis (connect-redis) + requireScope", baseline: "bare", expectedStatus: 200 },
  { name: "express-session-redis", description: "express-session + connect-redis alone, signed-in check by hand (the stack sessionAuth is built on)", baseline: "bare", expectedStatus: 200 },
  { name: "passport", description: "passport-headerapikey, same ApiKeys lookup (cache off), scope by hand", baseline: "bare", expectedStatus: 200 },
  { name: "bcrypt-per-request", description: "hand-written: HGETALL + bcrypt.compare (cost 10) per request", baseline: "bare", expectedStatus: 200 },
  { name: "bare-100", description: "Express alone, GET /api/models, 100 items", expectedStatus: 200 },
  { name: "redact-100", description: "api-key-cached + redactResponse of items[*].training_data", baseline: "bare-100", expectedStatus: 200 },
  { name: "bare-post", description: "Express + express.json(), POST /login → 401", expectedStatus: 401 },
  { name: "login-rate-limit", description: "loginRateLimit on Redis (per IP, per username+IP)", baseline: "bare-post", expectedStatus: 401 },
  { name: "express-rate-limit", description: "express-rate-limit + rate-limit-redis", baseline: "bare-post", expectedStatus: 401 },
];

/**
 * The variants named in `names` (a comma-separated list, or all when empty) and the baselines
 * they need, in the order of VARIANTS.
 */
export function selectVariants(names: string | undefined): Variant[] {
  if (!names) return [...VARIANTS];
  const wanted = new Set(names.split(",").map((name) => name.trim()).filter(Boolean));
  for (const name of wanted) {
    if (!VARIANTS.some((variant) => variant.name === name)) {
      throw new Error(`BENCH_VARIANTS: no variant "${name}" (known: ${VARIANTS.map((v) => v.name).join(", ")})`);
    }
  }
  for (const variant of VARIANTS) if (wanted.has(variant.name) && variant.baseline) wanted.add(variant.baseline);
  return VARIANTS.filter((variant) => wanted.has(variant.name));
}
