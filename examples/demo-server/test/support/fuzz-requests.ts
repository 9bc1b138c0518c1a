import { METHODS } from "node:http";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import fc from "fast-check";

/**
 * Random HTTP/1.1 requests for the demo, as plain data (so fast-check prints a failing one) and
 * the bytes they become. Each request knows which real credentials it carries unmodified, in a
 * place they are read from: the only thing that may let it in.
 */

/** One user's real credentials. */
export interface Credentials {
  readonly key: string;
  readonly keyId: string;
  /** The session cookie's value as Set-Cookie sent it: `s%3A<id>.<signature>`. */
  readonly cookie: string;
  readonly userId: string;
}

/**
 * The admin's credentials must work all run (they are checked at the end), so requests carrying
 * them never log out, log in again, or revoke or rotate the admin's key. The member's may be
 * ended by the fuzz, like any user's.
 */
export interface FuzzWorld {
  readonly admin: Credentials;
  readonly member: Credentials;
  readonly memberEmail: string;
  readonly memberPassword: string;
  readonly adminEmail: string;
}

export type Who = "admin" | "member";
export const SESSION_COOKIE = "portcullis.sid";

export interface CredentialSpec {
  /** What it is, for a reader of a counterexample: "admin key, one character changed". */
  readonly label: string;
  /** The header line(s) it becomes, or a query parameter. */
  readonly place: { readonly header: string; readonly value: string } | { readonly query: string };
  /** Whose real credential this is, unmodified in a place the demo reads: nothing else may authenticate. */
  readonly valid?: Who;
}

export type Framing = "none" | "length" | "short-length" | "long-length" | "chunked" | "bad-chunked" | "unfinished-chunked" | "length-and-chunked";

export interface BodySpec {
  /** The body's bytes, as latin1 text (or UTF-16 when the charset says so). */
  readonly text: string;
  readonly charset: "utf8" | "utf16le" | "latin1";
  readonly contentType?: string;
  /** Content-Encoding, and whether the body really is compressed that way ("gzip-bomb": 5 MB of zeros instead of the text). */
  readonly encoding?: { readonly header: string; readonly compress?: "gzip" | "deflate" | "br" | "gzip-bomb" };
  readonly framing: Framing;
  readonly chunkSize: number;
}

export interface RequestSpec {
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly credentials: readonly CredentialSpec[];
  readonly headers: readonly (readonly [string, string])[];
  readonly body: BodySpec;
  /** Cut the request off after this many bytes and close the sending side. */
  readonly cutAt?: number;
}

/** A request on the wire, with what the test needs to judge its answer. */
export interface FuzzRequest {
  readonly spec: RequestSpec;
  readonly bytes: Buffer;
  /** Whose real credentials it carries, unmodified, where they are read. */
  readonly validFor: ReadonlySet<Who>;
  /** Well-formed and whole, a request a server answers: silence would be a hang. (A malformed one may be reset instead.) */
  readonly owesAnswer: boolean;
  readonly head: boolean;
}

// ---------------------------------------------------------------- credentials

const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Changes that make a credential something else, never an equivalent form (blanks and quotes are trimmed by parsers). */
function tampered(value: string, keep = 0): fc.Arbitrary<{ how: string; value: string }> {
  const index = fc.integer({ min: keep, max: value.length - 1 });
  const otherChar = (c: string) => fc.constantFrom(...ALNUM).filter((d) => d !== c);
  return fc.oneof(
    index.chain((i) => otherChar(value[i]!).map((d) => ({ how: `character ${i} changed`, value: value.slice(0, i) + d + value.slice(i + 1) }))),
    fc.integer({ min: 1, max: value.length - 1 }).map((n) => ({ how: `cut to ${n} characters`, value: value.slice(0, n) })),
    fc.string({ unit: fc.constantFrom(...ALNUM, ".", "_", "-"), minLength: 1, maxLength: 8 }).map((s) => ({ how: `suffixed with ${s}`, value: value + s })),
    index.map((i) => ({ how: `character ${i} removed`, value: value.slice(0, i) + value.slice(i + 1) })),
    fc.constant({ how: "doubled", value: value + value }),
  );
}

function anyCase(text: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(text) },
    { weight: 1, arbitrary: fc.constantFrom(text.toLowerCase(), text.toUpperCase()) },
    { weight: 1, arbitrary: fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length }).map((up) => [...text].map((c, i) => (up[i] ? c.toUpperCase() : c.toLowerCase())).join("")) },
  );
}

const separator = fc.constantFrom(" ", "  ", "\t", " \t ");

/** Where a key is read (`Authorization: Bearer|Key`, `X-API-Key`), in any case and spacing. */
function keyPlacement(key: string, label: string, valid?: Who): fc.Arbitrary<CredentialSpec> {
  return fc.oneof(
    fc.tuple(anyCase("Authorization"), fc.constantFrom("Bearer", "Key").chain(anyCase), separator, fc.constantFrom("", " ", "\t")).map(([header, scheme, sep, pad]) => ({
      label: `${label} as ${scheme}`,
      place: { header, value: `${pad}${scheme}${sep}${key}${pad}` },
      ...(valid ? { valid } : {}),
    })),
    fc.tuple(anyCase("X-API-Key"), fc.constantFrom("", " ", "  ")).map(([header, pad]) => ({ label: `${label} in ${header}`, place: { header, value: `${pad}${key}${pad}` }, ...(valid ? { valid } : {}) })),
  );
}

/** A key where the demo does not read one: it must never authenticate. */
function keyMisplaced(key: string, label: string): fc.Arbitrary<CredentialSpec> {
  return fc.oneof(
    fc.constantFrom("Basic", "Token", "Bearer:", "Bearer,", "Bearerx", "Digest", "ApiKey").map((scheme) => ({ label: `${label} as ${scheme}`, place: { header: "Authorization", value: `${scheme} ${key}` } })),
    fc.constantFrom("X-Api-Keys", "Api-Key", "X-API_Key", "Proxy-Authorization", "X-Forwarded-Authorization").map((header) => ({ label: `${label} in ${header}`, place: { header, value: key } })),
    fc.constantFrom("api_key", "key", "access_token").map((name) => ({ label: `${label} in ?${name}`, place: { query: `${name}=${encodeURIComponent(key)}` } })),
    fc.constant({ label: `${label} in a cookie`, place: { header: "Cookie", value: `${SESSION_COOKIE}=${key}` } }),
    fc.constant({ label: `${label} as Bearer without a space`, place: { header: "Authorization", value: `Bearer${key}` } }),
  );
}

/** A Cookie header carrying `value` under the session cookie's name, among others. */
function cookieHeader(value: string, label: string, valid?: Who): fc.Arbitrary<CredentialSpec> {
  const other = fc.constantFrom("", "theme=dark; ", "a=1; b=2; ", "=; ", "x; ");
  return fc.tuple(other, other).map(([before, after]) => ({
    label,
    place: { header: "Cookie", value: `${before}${SESSION_COOKIE}=${value}${after === "" ? "" : `; ${after.replace(/; $/, "")}`}` },
    ...(valid ? { valid } : {}),
  }));
}

/** The cookie value unescaped (`s:<id>.<sig>`): the cookie parser reads it as the escaped form. */
const decoded = (cookie: string) => decodeURIComponent(cookie);

function realCredential(creds: Credentials, who: Who): fc.Arbitrary<CredentialSpec> {
  return fc.oneof(
    keyPlacement(creds.key, `${who}'s key`, who),
    cookieHeader(creds.cookie, `${who}'s session cookie`, who),
    cookieHeader(decoded(creds.cookie), `${who}'s session cookie, unescaped`, who),
  );
}

function spoiledCredential(creds: Credentials, who: Who): fc.Arbitrary<CredentialSpec> {
  const signed = decoded(creds.cookie); // s:<id>.<signature>
  return fc.oneof(
    tampered(creds.key).chain(({ how, value }) => keyPlacement(value, `${who}'s key, ${how}`)),
    tampered(signed, 2).chain(({ how, value }) => cookieHeader(value, `${who}'s session cookie, ${how}`)),
    cookieHeader(signed.slice(2), `${who}'s session cookie without "s:"`),
    cookieHeader(`s:${signed.slice(2, signed.indexOf("."))}.${"A".repeat(43)}`, `${who}'s session id, signed with nothing`),
    fc.constantFrom("portcullis.SID", "Portcullis.sid", "portcullis_sid", "connect.sid").map((name) => ({ label: `${who}'s session cookie as ${name}`, place: { header: "Cookie", value: `${name}=${creds.cookie}` } })),
    keyMisplaced(creds.key, `${who}'s key`),
    fc.constant({ label: `${who}'s key id as a key`, place: { header: "X-API-Key", value: creds.keyId } }),
  );
}

/** Visible ASCII, spaces and tabs: what a header value may hold. */
function printable(maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }, { weight: 1, arbitrary: fc.constant("\t") }), maxLength });
}

const junkCredential: fc.Arbitrary<CredentialSpec> = fc.oneof(
  printable(60).chain((s) => keyPlacement(s, "junk")),
  fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 38, maxLength: 38 }).chain((s) => keyPlacement(`cpx_live.${s}`, "a well-formed-looking key")),
  printable(60).map((s) => s.replace(/;/g, "")).chain((s) => cookieHeader(s, "a junk session cookie")),
  fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 32, maxLength: 32 }).chain((s) => cookieHeader(`s:${s}.${"x".repeat(43)}`, "an invented session cookie")),
  fc.constantFrom(`Bearer cpx_live.${"a".repeat(5000)}`, `Key ${"k".repeat(300)}`).map((value) => ({ label: "an overlong key", place: { header: "Authorization", value } })),
  fc.constantFrom("", "Bearer", "Bearer ", "Key", "Basic YWRtaW46cGFzc3dvcmQ=", "Negotiate", "Bearer \u0000", ",", "Bearer a b c").map((value) => ({ label: `Authorization: ${JSON.stringify(value)}`, place: { header: "Authorization", value } })),
  fc.constantFrom("", " ", "\t").map((value) => ({ label: "a blank X-API-Key", place: { header: "X-API-Key", value } })),
);

// ---------------------------------------------------------------- routes

interface Route {
  readonly path: string;
  /** The methods it answers; others are tried too, less often. */
  readonly methods: readonly string[];
  /** With the admin's real credentials: any method, safe methods only, or never. */
  readonly admin: "any" | "read" | "never";
}

function routes(world: FuzzWorld): Route[] {
  const route = (methods: string, ...paths: string[]): Route[] => paths.map((path) => ({ path, methods: methods.split(" "), admin: "any" }));
  const keyRoutes = (id: string, admin: Route["admin"]): Route[] =>
    [
      { path: `/api/auth/api-keys/${id}`, methods: ["GET", "DELETE"] },
      { path: `/api/auth/api-keys/${id}/usage`, methods: ["GET"] },
      { path: `/api/auth/api-keys/${id}/rotate`, methods: ["POST"] },
    ].map((r) => ({ ...r, admin }));
  const resources = ["projects", "datasets", "models"].flatMap((name) => [
    ...route("GET POST", `/api/${name}`),
    ...route("GET PATCH DELETE", `/api/${name}/${{ projects: "prj", datasets: "ds", models: "mdl" }[name]}_1`, `/api/${name}/nope`, `/api/${name}/__proto__`, `/api/${name}/constructor`),
  ]);
  return [
    { path: "/api/auth/login", methods: ["POST"], admin: "never" },
    { path: "/api/auth/logout", methods: ["POST"], admin: "never" },
    ...route("GET", "/api/auth/me", "/api/auth/sessions", "/api/auth/api-keys/usage", "/api/auth/audit", "/api/auth/mfa"),
    ...route("POST", "/api/auth/reauthenticate", "/api/auth/sessions/revoke-others", "/api/auth/password"),
    ...route("DELETE", "/api/auth/sessions/0123456789abcdef", "/api/auth/sessions/x"),
    ...route("GET POST", "/api/auth/api-keys"),
    // two-factor routes: no fuzz request can hold a valid code, so none of these ends a session
    ...route("POST", "/api/auth/login/mfa", "/api/auth/mfa/enrol", "/api/auth/mfa/confirm", "/api/auth/mfa/disable", "/api/auth/mfa/recovery-codes"),
    ...keyRoutes(world.admin.keyId, "read"),
    ...keyRoutes(world.member.keyId, "any"),
    ...keyRoutes("key_0000000000000000", "any"),
    ...route("GET DELETE", "/api/auth/api-keys/__proto__", "/api/auth/api-keys/%00", "/api/auth/api-keys/..%2f..%2f"),
    ...resources,
    ...route("POST", "/api/models/mdl_1/predict", "/api/models/nope/predict"),
    ...route("GET POST", "/api/users"),
    ...route("GET", "/", "/index.html", "/console.js", "/console.css", "/api", "/api/", "/api/nope", "/nope", "/api/auth", "/api/auth/", "/api/users/1"),
  ];
}

const QUERY = fc.constantFrom(
  "", "", "", "", "?limit=1", "?limit=0", "?limit=abc", "?limit=1&limit=2", "?limit[]=1", "?cursor=", "?cursor=zzz", `?cursor=${"x".repeat(100)}`,
  "?days=1", "?days=91", "?days=1e3", "?days=-1", "?since=not-a-date", "?since=2026-01-01T00:00:00Z&until=2020-01-01T00:00:00Z", "?outcome=success", "?outcome=x",
  "?action[]=a", "?__proto__[admin]=1", "?constructor[prototype][x]=1", "?a=%", "?a=%zz", "?key_id=key_0000000000000000", "?user_id=%00", "?owner=admin",
  // access-log cursors are stream ids; times at the ends of what ISO 8601 writes
  "?cursor=0-0", "?cursor=1-1", "?cursor=9999999999999999-9999999999999999", "?cursor=18446744073709551615-0", "?cursor=-1", "?since=9999-12-31T23:59:59Z", "?since=0000-01-01T00:00:00Z",
  "?until=1970-01-01T00:00:00.000Z&since=1969-12-31T23:59:59-14:00", "?action=api_key.authenticate&outcome=failure&limit=100",
);

/** The path as a client might mangle it: case, slashes, escapes, dot segments. */
function mangled(path: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(path) },
    { weight: 1, arbitrary: anyCase(path) },
    { weight: 1, arbitrary: fc.constantFrom(`${path}/`, `${path}//`, `/${path}`, path.replace(/\//g, "//"), `${path}/.`, `${path}/..`, path.replace("/api/", "/api/./"), path.replace("/api/", "/x/../api/"), `${path};x=1`, `${path}%00`, `${path}%2f`, `${path}%`, `${path}%e0%a4%a`, `${path}%ff`, `${path}%c0%af`) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: Math.max(1, path.length - 1) }).map((i) => path.slice(0, i) + encodeURIComponent(path[i] ?? "").replace(/^([^%])$/, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`) + path.slice(i + 1)) },
    { weight: 1, arbitrary: fc.constantFrom(`http://127.0.0.1${path}`, `http://evil.example${path}`, `//127.0.0.1${path}`) },
  );
}

const randomPath = fc.oneof(
  fc.string({ unit: "binary-ascii", maxLength: 40 }).map((s) => `/${s.replace(/[\s]/g, "")}`),
  fc.string({ unit: "grapheme", maxLength: 20 }).map((s) => `/api/${encodeURIComponent(s)}`),
  fc.constantFrom("*", "", "api/auth/me", "/%", "/%%", "/\u00e9", `/${"a".repeat(9000)}`, `/api/${"x/".repeat(3000)}`, "/api/auth/me\u0000"),
);

// ---------------------------------------------------------------- methods

const SAFE_METHODS = ["GET", "HEAD", "OPTIONS"] as const;
const method = fc.oneof(
  { weight: 24, arbitrary: fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS") },
  { weight: 1, arbitrary: fc.constantFrom("TRACE", "PROPFIND", "PURGE", "SEARCH", "MKCOL", "LOCK", "REPORT", "LINK", "QUERY", "CONNECT", "PRI") },
  { weight: 1, arbitrary: fc.constantFrom("get", "Post", "FOO", "G ET", "GET\t", "", "DELETE\u0000", "X".repeat(100), "GËT") },
);
const version = fc.oneof(
  { weight: 40, arbitrary: fc.constant("HTTP/1.1") },
  { weight: 1, arbitrary: fc.constantFrom("HTTP/1.0", "HTTP/1.2", "HTTP/2.0", "HTTP/0.9", "HTTP/3", "http/1.1", "", "HTTP/1.1 x", "HTTP/11") },
);

// ---------------------------------------------------------------- bodies

/** JSON text built directly, so it can hold what JSON.stringify never writes (1e309, duplicate keys). */
function jsonText(world: FuzzWorld): fc.Arbitrary<string> {
  const str = fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
    { weight: 1, arbitrary: fc.constantFrom("admin", "member", "viewer", "god", "read", "write", "admin@example.com", world.memberEmail, "read_only", "2026-01-01T00:00:00Z", "2999-01-01T00:00:00+01:00", "") },
    { weight: 1, arbitrary: fc.integer({ min: 50, max: 20_000 }).map((n) => "x".repeat(n)) },
  ).map((s) => JSON.stringify(s));
  const num = fc.oneof(
    fc.integer().map(String),
    fc.constantFrom("0", "-0", "60", "3600", "86400", "1e309", "-1e309", "1.5", "9007199254740993", "1e-400", "315360000", "315360001", "00"),
  );
  const FIELDS = [
    "email", "password", "name", "scopes", "permission_level", "expires_at", "expires_in", "metadata", "rate_limit", "points", "duration_seconds",
    "grace_period_seconds", "current_password", "new_password", "role", "training_data", "code", "recovery_code", "__proto__", "constructor", "prototype", "toString",
  ];
  const { value } = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
    value: fc.oneof({ depthSize: "small", maxDepth: 4 }, str, num, fc.constantFrom("true", "false", "null"), tie("array"), tie("object")),
    array: fc.array(tie("value"), { maxLength: 4 }).map((items) => `[${items.join(",")}]`),
    object: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 6 })), tie("value")), { maxLength: 5 }).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`),
  }));
  return value;
}

function bodyText(world: FuzzWorld): fc.Arbitrary<string> {
  const json = jsonText(world);
  const quoted = (s: string) => JSON.stringify(s);
  return fc.oneof(
    { weight: 6, arbitrary: json },
    // shapes the routes take, with values that may or may not fit
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(world.adminEmail, world.memberEmail, "nobody@example.com"), fc.constantFrom("wrong-password", "x", world.memberPassword)).map(([e, p]) => `{"email":${quoted(e)},"password":${quoted(p)}}`) },
    { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 12 }), fc.uniqueArray(fc.constantFrom("read", "write", "predict", "admin", "Models:*", "*"), { maxLength: 3 }), fc.option(json)).map(([name, scopes, extra]) => `{"name":${quoted(name)},"scopes":${JSON.stringify(scopes)}${extra ? `,"metadata":${extra}` : ""}}`) },
    { weight: 1, arbitrary: json.map((v) => `{"name":${v}}`) },
    { weight: 1, arbitrary: json.map((v) => `{"grace_period_seconds":${v}}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom("code", "recovery_code"), fc.oneof(fc.stringMatching(/^\d{6}$/), fc.string({ maxLength: 12 }))).map(([field, v]) => `{${quoted(field)}:${quoted(v)}}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom("wrong-password", world.memberPassword), fc.string({ maxLength: 12 })).map(([c, n]) => `{"current_password":${quoted(c)},"new_password":${quoted(n)}}`) },
    // deep nesting, huge input, broken JSON, not JSON at all
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 9000 }).map((n) => "[".repeat(n) + "]".repeat(n)) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 3000 }).map((n) => '{"a":'.repeat(n) + "1" + "}".repeat(n)) },
    { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 40_000 }).map((n) => `{"name":"${"é".repeat(n)}"}`) },
    { weight: 1, arbitrary: json.chain((j) => fc.nat({ max: Math.max(0, j.length - 1) }).map((n) => j.slice(0, n))) },
    { weight: 1, arbitrary: fc.constantFrom("", "{", "}", "null", "[]", '"x"', "1", "{oops", "{'a':1}", '{"a":1}}', "\u0000", "\ufeff{}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\x\"}", "NaN", "email=a&password=b", "--x\r\nContent-Disposition: form-data\r\n\r\n--x--") },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
  );
}

/** Bytes that are not UTF-8 (stray continuation bytes, overlong forms, an encoded surrogate), as latin1 text. */
const notUtf8 = fc.oneof(
  fc.constantFrom("\xff\xfe{}", '{"email":"\xc0\xaf","password":"\xed\xa0\x80"}', '{"name":"\x80\x80"}', "\xef\xbb\xbf{}", '{"a":"\xf4\x90\x80\x80"}'),
  fc.uint8Array({ maxLength: 100 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant("application/json") },
  { weight: 4, arbitrary: fc.constantFrom(undefined, "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "APPLICATION/JSON", "application/json; charset=UTF-16LE", "application/json; charset=latin1", "application/json; charset=\"utf-8\"", "application/json; charset=",
      "application/json;;", "application/json; charset=utf-32", "application/json; charset=x-unknown", "application/*", "*/*", "application/vnd.api+json",
      "multipart/form-data; boundary=x", "garbage", ";", "application/json, text/plain", "application/json\u0000", `application/json; ${"a=b; ".repeat(500)}`,
    ),
  },
);

const encoding = fc.oneof(
  { weight: 12, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<BodySpec["encoding"]>(
      { header: "gzip", compress: "gzip" }, { header: "deflate", compress: "deflate" }, { header: "br", compress: "br" }, { header: "GZIP", compress: "gzip" },
      { header: "gzip" }, { header: "deflate" }, { header: "br" }, { header: "identity" }, { header: "x-unknown" }, { header: "gzip, gzip", compress: "gzip" }, { header: "" },
    ),
  },
);

const framing = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Framing>("length") },
  { weight: 3, arbitrary: fc.constant<Framing>("chunked") },
  { weight: 2, arbitrary: fc.constant<Framing>("none") },
  { weight: 1, arbitrary: fc.constantFrom<Framing>("short-length", "long-length", "bad-chunked", "unfinished-chunked", "length-and-chunked") },
);

function body(world: FuzzWorld): fc.Arbitrary<BodySpec> {
  const chunkSize = fc.integer({ min: 1, max: 4096 });
  return fc.oneof(
    // most requests that have a body have a plausible one
    { weight: 10, arbitrary: fc.record({ text: bodyText(world), charset: fc.constant("utf8" as const), contentType, encoding, framing, chunkSize }) },
    { weight: 1, arbitrary: fc.record({ text: notUtf8, charset: fc.constant("latin1" as const), contentType, encoding, framing, chunkSize }) },
    { weight: 3, arbitrary: fc.record({ text: fc.constant(""), charset: fc.constant("utf8" as const), framing: fc.constant<Framing>("none"), chunkSize }) },
    {
      weight: 1,
      arbitrary: fc.record({
        text: fc.constant(""),
        charset: fc.constant("utf8" as const),
        contentType: fc.constant("application/json"),
        encoding: fc.constant({ header: "gzip", compress: "gzip-bomb" as const }),
        framing: fc.constantFrom<Framing>("length", "chunked"),
        chunkSize,
      }),
    },
  ).map((spec: BodySpec): BodySpec => (spec.charset === "utf8" && /utf-16le/i.test(spec.contentType ?? "") ? { ...spec, charset: "utf16le" } : spec));
}

// ---------------------------------------------------------------- other headers

/** Header lines a parser must refuse: too long, folded, a control character, no name. */
const MALFORMED_HEADERS: readonly (readonly [string, string])[] = [
  ["X-Big", "b".repeat(20_000)], ["X-Folded", "a\r\n b"], ["Bad Name", "x"], ["X-Nul", "a\u0000b"], ["X-Bare-Lf", "a\nb"], ["", "no name"], [":authority", "x"], ["X-Del", "\u007f"],
];

const otherHeader: fc.Arbitrary<readonly [string, string]> = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom<readonly [string, string]>(
    ["Origin", "http://127.0.0.1"], ["Origin", "https://evil.example"], ["Origin", "null"], ["Origin", ""], ["Sec-Fetch-Site", "cross-site"],
    ["Sec-Fetch-Site", "same-origin"], ["Sec-Fetch-Site", "none"], ["Sec-Fetch-Site", "garbage"], ["Sec-Fetch-Site", "same-site"],
    ["Expect", "100-continue"], ["Expect", "nothing"], ["Connection", "close"], ["Connection", "keep-alive"], ["Connection", "Upgrade"], ["Upgrade", "websocket"],
    ["Upgrade", "h2c"], ["X-Forwarded-For", "10.0.0.1, 127.0.0.1"], ["X-Forwarded-Proto", "https"], ["X-HTTP-Method-Override", "DELETE"], ["Accept", "*/*"],
    ["Accept", "text/html"], ["Accept-Encoding", "gzip, br"], ["Range", "bytes=0-1"], ["If-None-Match", "*"], ["User-Agent", "😀".repeat(300)],
    ["Host", "evil.example"], ["Host", ""], ["Host", "127.0.0.1:1"], ["Content-Type", "text/plain"], ["Cookie", ""], ["Cookie", ";;;="],
  ) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom("User-Agent", "X-Request-Id", "Accept-Language", "Referer", "Origin", "Cookie"), printable(80)) },
  // an oversized value, and lines that are not headers at all
  { weight: 1, arbitrary: fc.constantFrom<readonly [string, string]>(MALFORMED_HEADERS[0]!, ...MALFORMED_HEADERS.slice(1)) },
);

// ---------------------------------------------------------------- requests

/** Random requests over the demo's routes and beyond; those carrying the admin's credentials never end them. */
export function fuzzRequests(world: FuzzWorld): fc.Arbitrary<RequestSpec> {
  const all = routes(world);
  const notAdmin = fc.oneof(spoiledCredential(world.admin, "admin"), spoiledCredential(world.member, "member"), realCredential(world.member, "member"), junkCredential);
  // A route, mangled or not, with one of its methods or any other; or a random path.
  type Target = readonly [route: Route | undefined, path: string, query: string, method: string];
  const target = (allowed: readonly Route[]): fc.Arbitrary<Target> =>
    fc.oneof(
      {
        weight: 8,
        arbitrary: fc
          .constantFrom(...allowed)
          .chain((route) => fc.tuple(fc.constant(route), mangled(route.path), QUERY, fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...route.methods) }, { weight: 1, arbitrary: method })))
          .map((t): Target => t),
      },
      { weight: 1, arbitrary: fc.tuple(randomPath, QUERY, method).map(([path, query, m]): Target => [undefined, path, query, m]) },
    );

  const common = { version, headers: fc.array(otherHeader, { maxLength: 3 }), body: body(world), cutAt: fc.oneof({ weight: 30, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat() }) };
  // Requests that carry the admin's real credentials: only routes and methods that leave them working.
  const asAdmin = fc
    .record({
      ...common,
      route: target(all.filter((r) => r.admin !== "never")),
      credentials: fc.tuple(realCredential(world.admin, "admin"), fc.array(fc.oneof(realCredential(world.admin, "admin"), notAdmin), { maxLength: 2 })).map(([first, rest]) => [first, ...rest]),
    })
    .map(({ route: [route, path, query, m], ...rest }) => ({
      ...rest,
      target: path + query,
      method: route?.admin === "read" && !(SAFE_METHODS as readonly string[]).includes(m) ? "GET" : m,
    }));
  const asAnyone = fc
    .record({ ...common, route: target(all), credentials: fc.array(notAdmin, { maxLength: 3 }) })
    .map(({ route: [, path, query, m], ...rest }) => ({ ...rest, method: m, target: path + query }));

  return fc.oneof({ weight: 1, arbitrary: asAdmin }, { weight: 2, arbitrary: asAnyone }).map(withQueryCredentials);
}

/** Query-string credentials go on the target. */
function withQueryCredentials(spec: Omit<RequestSpec, "target"> & { target: string }): RequestSpec {
  const queries = spec.credentials.flatMap((c) => ("query" in c.place ? [c.place.query] : []));
  if (queries.length === 0) return spec;
  const joiner = spec.target.includes("?") ? "&" : "?";
  return { ...spec, target: spec.target + joiner + queries.join("&") };
}

// ---------------------------------------------------------------- rendering

let bomb: Buffer | undefined;

function encodeBody(spec: BodySpec): Buffer {
  const raw = Buffer.from(spec.text, spec.charset);
  switch (spec.encoding?.compress) {
    case "gzip-bomb":
      return (bomb ??= gzipSync(Buffer.alloc(5_000_000)));
    case "gzip":
      return gzipSync(raw);
    case "deflate":
      return deflateSync(raw);
    case "br":
      return brotliCompressSync(raw);
    default:
      return raw;
  }
}

function chunked(data: Buffer, size: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) {
    const chunk = data.subarray(i, i + size);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

const BAD_CHUNKS = ["zz\r\nabc\r\n0\r\n\r\n", "5\r\nabc\r\n0\r\n\r\n", "-1\r\nx\r\n0\r\n\r\n", "3;ext=\u0000\r\nabc\r\n0\r\n\r\n", "ffffffffffffffff\r\nx\r\n", "3\nabc\n0\n\n", "3\r\nabcdef\r\n0\r\n\r\n"];

export function render(spec: RequestSpec): FuzzRequest {
  const data = encodeBody(spec.body);
  const lines = [`${spec.method} ${spec.target} ${spec.version}`];
  if (!spec.headers.some(([name]) => name.toLowerCase() === "host")) lines.push("Host: 127.0.0.1");
  for (const credential of spec.credentials) if ("header" in credential.place) lines.push(`${credential.place.header}: ${credential.place.value}`);
  for (const [name, value] of spec.headers) lines.push(`${name}: ${value}`);
  if (spec.body.contentType !== undefined) lines.push(`Content-Type: ${spec.body.contentType}`);
  if (spec.body.encoding) lines.push(`Content-Encoding: ${spec.body.encoding.header}`);

  let payload: Buffer;
  let whole = true;
  const { framing, chunkSize } = spec.body;
  switch (framing) {
    case "none":
      payload = Buffer.alloc(0); // a body without framing would be read as the next request
      break;
    case "length":
      lines.push(`Content-Length: ${data.length}`);
      payload = data;
      break;
    case "short-length":
      lines.push(`Content-Length: ${Math.floor(data.length / 2)}`);
      payload = data;
      break;
    case "long-length":
      lines.push(`Content-Length: ${data.length + 1 + (chunkSize % 100)}`);
      payload = data;
      whole = false;
      break;
    case "chunked":
      lines.push("Transfer-Encoding: chunked");
      payload = Buffer.concat([chunked(data, chunkSize), Buffer.from("0\r\n\r\n")]);
      break;
    case "bad-chunked":
      lines.push("Transfer-Encoding: chunked");
      payload = Buffer.from(BAD_CHUNKS[chunkSize % BAD_CHUNKS.length]!, "latin1");
      whole = false;
      break;
    case "unfinished-chunked":
      lines.push("Transfer-Encoding: chunked");
      payload = chunked(data, chunkSize);
      whole = false;
      break;
    case "length-and-chunked":
      lines.push(`Content-Length: ${data.length}`, "Transfer-Encoding: chunked");
      payload = Buffer.concat([chunked(data, chunkSize), Buffer.from("0\r\n\r\n")]);
      whole = false;
      break;
  }
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "utf8");
  let bytes = Buffer.concat([head, payload]);
  if (spec.cutAt !== undefined && spec.cutAt % bytes.length < bytes.length - 1) {
    bytes = bytes.subarray(0, spec.cutAt % bytes.length);
    whole = false;
  }
  const validFor = new Set(spec.credentials.flatMap((c) => (c.valid ? [c.valid] : [])));
  return { spec, bytes, validFor, owesAnswer: whole && isWellFormed(spec, head.length), head: spec.method === "HEAD" };
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\u0080-\uffff]*$/;
/** Node's limit on a request's head (16 KiB), less a margin. */
const MAX_HEAD_BYTES = 16_000;

/** A request Node must answer: a known method, HTTP/1.x, a visible target, header lines that parse, a head within the limit. */
function isWellFormed(spec: RequestSpec, headBytes: number): boolean {
  const headerLines = [
    ...spec.credentials.flatMap((c) => ("header" in c.place ? [[c.place.header, c.place.value] as const] : [])),
    ...spec.headers,
    ...(spec.body.contentType === undefined ? [] : [["Content-Type", spec.body.contentType] as const]),
    ...(spec.body.encoding ? [["Content-Encoding", spec.body.encoding.header] as const] : []),
  ];
  return (
    METHODS.includes(spec.method) &&
    !["CONNECT", "PRI"].includes(spec.method) &&
    ["HTTP/1.1", "HTTP/1.0"].includes(spec.version) &&
    /^[\x21-\x7e]+$/.test(spec.target) &&
    headerLines.every(([name, value]) => TOKEN.test(name) && FIELD_VALUE.test(value)) &&
    headBytes <= MAX_HEAD_BYTES
  );
}
