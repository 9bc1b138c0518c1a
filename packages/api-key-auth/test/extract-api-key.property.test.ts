import fc from "fast-check";
import { ApiKeys, MemoryKeyStore } from "@portcullis/core";
import { apiKeyAuth, type CredentialSource } from "@portcullis/api-key-auth";
import { compileSources, DEFAULT_SOURCES, sourcesOption } from "../src/credential-sources";
import { extractApiKey, headersToRead, type Extraction } from "../src/extract-api-key";

/**
 * Hostile headers: whatever a request carries, extraction answers (never throws), never makes up
 * a credential, and refuses two credentials rather than choosing between them.
 */

/** A header name in any case: `authorization`, `AUTHORIZATION`, `X-Api-Key`… */
function anyCase(name: string): fc.Arbitrary<string> {
  return fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) =>
    [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(""),
  );
}

const blanks = fc.string({ unit: fc.constantFrom(" ", "\t"), maxLength: 3 });
/** Characters a header value may be made of, and some it may not. */
const valueChar = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(" ", "\t", "\u00a0", "\ufeff", "é", "😀", "\0", "\r\n") },
);
const headerValue = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: valueChar, maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constant("") },
  // a long value, built by repetition: cheap to make, as long to read
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: valueChar, minLength: 1, maxLength: 20 }), fc.integer({ min: 100, max: 400 })).map(([s, n]) => s.repeat(n)) },
);
const schemeName = fc.oneof(
  fc.constantFrom("Bearer", "Key", "Basic", "Digest", "Token", "ApiKey", "bearer", "BEARER", "kEy", "Bearer,", "Bearer:"),
  fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEF-_.~!#"), minLength: 1, maxLength: 8 }),
);
const authorizationValue = fc.oneof(
  headerValue,
  fc.tuple(blanks, schemeName, fc.string({ unit: fc.constantFrom(" ", "\t"), minLength: 1, maxLength: 4 }), headerValue, blanks).map((parts) => parts.join("")),
);
const otherHeader = fc.tuple(fc.constantFrom("Host", "Cookie", "Content-Type", "X-Api-Keys", "Proxy-Authorization", "x-api-key2", "Authorisation"), headerValue);

/** A request's `rawHeaders`: names and values alternating, the credential headers in any case and any number. */
const rawHeaders = fc
  .array(
    fc.oneof(
      fc.tuple(anyCase("authorization"), authorizationValue),
      fc.tuple(anyCase("x-api-key"), headerValue),
      fc.tuple(anyCase("x-custom-key"), headerValue),
      otherHeader,
    ),
    { maxLength: 6 },
  )
  .map((pairs) => pairs.flat());

const sourcesArb: fc.Arbitrary<readonly CredentialSource[]> = fc.oneof(
  fc.constant(DEFAULT_SOURCES),
  fc.uniqueArray(
    fc.constantFrom<CredentialSource>({ authorization: "Bearer" }, { authorization: "Key" }, { authorization: "Token" }, { header: "x-api-key" }, { header: "X-Custom-Key" }),
    { minLength: 1, selector: (s) => JSON.stringify(s).toLowerCase() },
  ),
);

describe("headersToRead", () => {
  test("keeps exactly the copies of the read headers, in order, whatever their case, and never throws", () => {
    fc.assert(
      fc.property(rawHeaders, sourcesArb, fc.boolean(), (raw, sourceList, dropLast) => {
        const sources = compileSources(sourceList);
        const given = dropLast ? raw.slice(0, -1) : raw; // an odd-length list, as a broken caller might pass
        const read = headersToRead(given, sources);
        const expected: Record<string, string[]> = {};
        for (let i = 0; i + 1 < given.length; i += 2) {
          const name = given[i]!.toLowerCase();
          if (name === "authorization" || sources.headers.includes(name)) (expected[name] ??= []).push(given[i + 1]!);
        }
        expect(read).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("extractApiKey on any headers", () => {
  test("never throws, and a key it finds was literally in an Authorization or key header", () => {
    fc.assert(
      fc.property(rawHeaders, sourcesArb, (raw, sourceList) => {
        const sources = compileSources(sourceList);
        const read = headersToRead(raw, sources);
        const found = extractApiKey(read, sources);
        if (found.kind !== "key") return;
        const readValues = Object.values(read).flat() as string[];
        expect(readValues.some((value) => value.includes(found.key))).toBe(true);
        expect(found.key).toBe(found.key.trim());
      }),
      { numRuns: 1000 },
    );
  });

  test("a key in a header no source names, a Cookie or the query string, is never read", () => {
    const key = "cpx_live.0123456789abcdefghijABCDEFGHIJ012345";
    fc.assert(
      fc.property(rawHeaders, (raw) => {
        const sources = compileSources([{ authorization: "Bearer" }]);
        const decoys = ["Cookie", `key=${key}`, "X-Api-Key", key, "Proxy-Authorization", `Bearer ${key}`, "Referer", `/x?api_key=${key}`];
        const found = extractApiKey(headersToRead([...raw, ...decoys], sources), sources);
        if (found.kind === "key") expect(found.key).not.toContain(key);
      }),
      { numRuns: 500 },
    );
  });
});

/**
 * Headers built from parts whose meaning is known, so the expected extraction follows from how
 * they were built rather than from a second parser.
 */
type Part =
  /** `Authorization: <scheme> <credential>` in a scheme a source names; an empty credential is still one (refused later as invalid_key). */
  | { kind: "scheme"; header: [string, string]; credential: string }
  /** A key header with a non-blank value. */
  | { kind: "keyHeader"; header: [string, string]; credential: string }
  /** `Authorization` in a scheme no source names (Basic, say). */
  | { kind: "foreign"; header: [string, string] }
  /** An empty or blank Authorization or key header: counts as absent. */
  | { kind: "blank"; header: [string, string] }
  /** Anything else: Host, Cookie… */
  | { kind: "unrelated"; header: [string, string] };

const credentialText = fc.oneof(
  fc.string({ unit: "binary-ascii", maxLength: 60 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constant("cpx_live.0123456789abcdefghijABCDEFGHIJ012345"),
);
const SCHEMES = ["Bearer", "Key"] as const;
const sources = compileSources(DEFAULT_SOURCES);

const part: fc.Arbitrary<Part> = fc.oneof(
  fc
    .tuple(anyCase("authorization"), blanks, fc.constantFrom(...SCHEMES).chain(anyCase), fc.string({ unit: fc.constantFrom(" ", "\t"), minLength: 1, maxLength: 4 }), credentialText, blanks)
    .map(([name, before, scheme, separator, credential, after]) => ({
      kind: "scheme" as const,
      header: [name, before + scheme + separator + credential + after] as [string, string],
      credential: credential.trim(),
    })),
  fc
    .tuple(anyCase("authorization"), fc.constantFrom(...SCHEMES).chain(anyCase), blanks)
    .map(([name, scheme, after]) => ({ kind: "scheme" as const, header: [name, scheme + after] as [string, string], credential: "" })),
  fc
    .tuple(anyCase("x-api-key"), blanks, credentialText.filter((c) => c.trim() !== ""), blanks)
    .map(([name, before, credential, after]) => ({ kind: "keyHeader" as const, header: [name, before + credential + after] as [string, string], credential: credential.trim() })),
  fc
    .tuple(anyCase("authorization"), fc.constantFrom("Basic", "Digest", "Token", "Bearer,", "Keys", "Bearerx", "B\u00e9arer"), fc.oneof(fc.constant(""), fc.string({ maxLength: 30 }).map((c) => ` ${c}`)))
    .map(([name, scheme, rest]) => ({ kind: "foreign" as const, header: [name, scheme + rest] as [string, string] })),
  fc.tuple(fc.oneof(anyCase("authorization"), anyCase("x-api-key")), blanks).map(([name, value]) => ({ kind: "blank" as const, header: [name, value] as [string, string] })),
  otherHeader.map((header) => ({ kind: "unrelated" as const, header })),
);

function expectedExtraction(parts: readonly Part[]): Extraction {
  const credentials = parts.flatMap((p) => (p.kind === "scheme" || p.kind === "keyHeader" ? [p.credential] : []));
  if (credentials.length > 1) return { kind: "several" };
  if (credentials.length === 1) return { kind: "key", key: credentials[0]! };
  return parts.some((p) => p.kind === "foreign") ? { kind: "foreign_scheme" } : { kind: "none" };
}

describe("extractApiKey on headers built from known parts", () => {
  test("one credential is returned as sent (trimmed); two or more, even identical, are 'several'; blanks are absent", () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 5 }), (parts) => {
        const raw = parts.flatMap((p) => p.header);
        expect(extractApiKey(headersToRead(raw, sources), sources)).toEqual(expectedExtraction(parts));
      }),
      { numRuns: 2000 },
    );
  });

  test("the same key sent twice, in any two places, is refused as several", () => {
    const key = "cpx_live.0123456789abcdefghijABCDEFGHIJ012345";
    const placement = fc.oneof(
      fc.tuple(anyCase("authorization"), fc.constantFrom(...SCHEMES).chain(anyCase)).map(([name, scheme]) => [name, `${scheme} ${key}`]),
      anyCase("x-api-key").map((name) => [name, key]),
    );
    fc.assert(
      fc.property(placement, placement, fc.array(otherHeader, { maxLength: 3 }), (first, second, others) => {
        const raw = [...first, ...others.flat(), ...second];
        expect(extractApiKey(headersToRead(raw, sources), sources)).toEqual({ kind: "several" });
      }),
      { numRuns: 300 },
    );
  });
});

describe("the sources option, on any configuration", () => {
  const keys = new ApiKeys({ store: new MemoryKeyStore(), secret: "s".repeat(32), prefix: "cpx_" });

  test.each([[null], ["x-api-key"], [42]])("a source that is %j is a configuration error naming it, not a crash in `in`", (source) => {
    expect(() => apiKeyAuth({ keys, sources: [source as unknown as CredentialSource] })).toThrow(
      /^apiKeyAuth: "sources\.0" must be \{ authorization: "<scheme>" \} or \{ header: "<name>" \}/,
    );
  });

  test("is accepted, and then reads neither Authorization nor Cookie as a header of its own, or is refused with a TypeError naming apiKeyAuth", () => {
    const sourceLike = fc.oneof(
      fc.record({ authorization: fc.oneof(fc.string({ maxLength: 10 }), fc.anything()) }),
      fc.record({ header: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom("Authorization", "cookie", "COOKIE"), fc.anything()) }),
      fc.anything(),
    );
    fc.assert(
      fc.property(fc.oneof(fc.array(sourceLike, { maxLength: 4 }), fc.anything()), (candidate) => {
        try {
          apiKeyAuth({ keys, sources: candidate as readonly CredentialSource[] });
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
          expect((error as Error).message).toMatch(/^apiKeyAuth: /);
          return;
        }
        const compiled = compileSources(sourcesOption.parse(candidate));
        for (const name of compiled.headers) expect(["authorization", "cookie"]).not.toContain(name);
      }),
      { numRuns: 500 },
    );
  });
});
