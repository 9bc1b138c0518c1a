import {
  context,
  metrics,
  SpanStatusCode,
  trace,
  ValueType,
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  type Span,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import { ERROR_CODES, type ErrorCode } from "./errors";

// Telemetry through @opentelemetry/api alone: every call below is a no-op until the app
// registers an SDK. docs/telemetry.md describes each metric and span.

/** The instrumentation scope: the meter and the tracer are taken under this package's name and version. */
export const TELEMETRY_SCOPE = "@portcullis/core";
// Two levels up from both src/ and dist/; package.json is in every install of the package.
const { version: SCOPE_VERSION } = require("../package.json") as { version: string };

/** Every metric portcullis records, by name. Units follow the OpenTelemetry semantic conventions. */
export const METRICS = {
  /** Counter (`{outcome}`): each decision of an auth middleware, by middleware, credential type and outcome. */
  authOutcomes: "portcullis.auth.outcomes",
  /** Histogram (`s`, seconds): how long `ApiKeys.verify` took, by outcome and cache result. */
  keyVerificationDuration: "portcullis.key.verification.duration",
  /** Counter (`{lookup}`): verified-key cache lookups, by result (`hit`: no store call; `miss`). */
  keyCacheLookups: "portcullis.key.cache.lookups",
  /** Counter (`{error}`): store calls that failed or timed out, by store, operation and error type. */
  storeErrors: "portcullis.store.errors",
} as const;

/** The attribute keys; every value is one of a small fixed set, never an id, a key, an owner or an address. */
export const TELEMETRY_ATTRIBUTES = {
  /** The middleware that decided: `apiKeyAuth`, `keyRateLimit`, `sessionAuth`, `authRouter`, `requireScope`, `loginRateLimit`. */
  middleware: "portcullis.middleware",
  /** `api_key`, `session`, `password` (a sign-in) or `none` (no credential reached the check). */
  credentialType: "portcullis.credential.type",
  /** `success`, or the refusal's error code (`invalid_key`, `rate_limit_exceeded`, `auth_unavailable`, …). */
  outcome: "portcullis.outcome",
  /** `hit` or `miss`. */
  cacheResult: "portcullis.cache.result",
  /** The store port: `KeyStore`, `UserStore`, `SessionStore`, `SessionIndex`, `LimiterStore`, `AuditSink`, `MfaStore`. */
  store: "portcullis.store",
  /** The port's method: `findByDigest`, `get`, `consume`, … */
  storeOperation: "portcullis.store.operation",
  /** Semantic conventions' `error.type`: `timeout`, or the failure's class name (`ReplyError`, `Error`, …). */
  errorType: "error.type",
} as const;

/** The middlewares whose decisions `portcullis.auth.outcomes` counts. */
export type AuthMiddleware = "apiKeyAuth" | "keyRateLimit" | "sessionAuth" | "authRouter" | "requireScope" | "loginRateLimit";
/** What kind of credential a decision was about. */
export type CredentialType = "api_key" | "session" | "password" | "oauth" | "none";
/** A decision: the request passed the check, or was refused with this code. */
export type AuthOutcome = "success" | ErrorCode;

/** The store ports whose calls are traced. */
export type StorePort = "KeyStore" | "UserStore" | "SessionStore" | "SessionIndex" | "LimiterStore" | "AuditSink" | "MfaStore" | "IdentityStore" | "EmailTokenStore" | "Mailer";

/** One operation of a store port, named once: its span name and attributes. */
export interface StoreOperation {
  readonly spanName: string;
  readonly attributes: Readonly<Attributes>;
}

/**
 * The operations of a port, made once at module load so a call allocates no names.
 *
 * @example
 * const KEY_STORE = storeOperations("KeyStore", ["findByDigest", "findById"]);
 * await callStore(KEY_STORE.findByDigest, timeoutMs, () => store.findByDigest(digest));
 */
export function storeOperations<const O extends string>(port: StorePort, operations: readonly O[]): Readonly<Record<O, StoreOperation>> {
  const table = {} as Record<O, StoreOperation>;
  for (const operation of operations) {
    table[operation] = Object.freeze({
      spanName: `${port}.${operation}`,
      attributes: Object.freeze({ [TELEMETRY_ATTRIBUTES.store]: port, [TELEMETRY_ATTRIBUTES.storeOperation]: operation }),
    });
  }
  return Object.freeze(table);
}

interface Instruments {
  readonly authOutcomes: Counter;
  readonly keyVerificationDuration: Histogram;
  readonly keyCacheLookups: Counter;
  readonly storeErrors: Counter;
}

// The instruments and tracer of the global providers as they were last seen, taken again when the
// app registers other ones. @opentelemetry/api has no proxy for meters (only for tracers), so a
// meter taken before the SDK starts would stay a no-op for good; looking the provider up at each
// use costs one global read. A cache of what the globals give, the same for every caller: no
// middleware's state lives here.
let meterProvider: MeterProvider | undefined;
let instrumentsOfProvider: Instruments | undefined;
let tracerProvider: TracerProvider | undefined;
let tracerOfProvider: Tracer | undefined;

/** The verification-time buckets, in seconds: a cached key takes microseconds, a store call milliseconds. */
const VERIFICATION_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (provider === meterProvider && instrumentsOfProvider) return instrumentsOfProvider;
  const meter = provider.getMeter(TELEMETRY_SCOPE, SCOPE_VERSION);
  instrumentsOfProvider = {
    authOutcomes: meter.createCounter(METRICS.authOutcomes, {
      description: "Decisions of the portcullis auth middlewares, by middleware, credential type and outcome.",
      unit: "{outcome}",
      valueType: ValueType.INT,
    }),
    keyVerificationDuration: meter.createHistogram(METRICS.keyVerificationDuration, {
      description: "How long verifying a presented API key took, cache hits included.",
      unit: "s",
      advice: { explicitBucketBoundaries: VERIFICATION_BUCKETS },
    }),
    keyCacheLookups: meter.createCounter(METRICS.keyCacheLookups, {
      description: "Lookups in the verified-key cache, by result: a hit answers without a store call.",
      unit: "{lookup}",
      valueType: ValueType.INT,
    }),
    storeErrors: meter.createCounter(METRICS.storeErrors, {
      description: "Store calls that failed or did not answer in time, by store, operation and error type.",
      unit: "{error}",
      valueType: ValueType.INT,
    }),
  };
  meterProvider = provider;
  return instrumentsOfProvider;
}

function tracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (provider === tracerProvider && tracerOfProvider) return tracerOfProvider;
  tracerOfProvider = provider.getTracer(TELEMETRY_SCOPE, SCOPE_VERSION);
  tracerProvider = provider;
  return tracerOfProvider;
}

/** Records the decisions of one middleware; made once, when the middleware is created. */
export interface AuthOutcomeRecorder {
  /** The request passed this check, with this kind of credential. */
  success(credential: CredentialType): void;
  /** The request was refused with `code` (nothing is recorded for an error that is not a refusal). */
  refused(code: ErrorCode | undefined, credential: CredentialType): void;
}

/**
 * The outcome counter of one middleware. The success attributes are built here, once: they are
 * what the hot path records.
 *
 * @example
 * const outcomes = authOutcomeRecorder("apiKeyAuth");
 * outcomes.success("api_key");
 */
export function authOutcomeRecorder(middleware: AuthMiddleware): AuthOutcomeRecorder {
  const attributesOf = (credential: CredentialType, outcome: AuthOutcome | "_OTHER"): Attributes => ({
    [TELEMETRY_ATTRIBUTES.middleware]: middleware,
    [TELEMETRY_ATTRIBUTES.credentialType]: credential,
    [TELEMETRY_ATTRIBUTES.outcome]: outcome,
  });
  const successes: Readonly<Record<CredentialType, Attributes>> = {
    api_key: attributesOf("api_key", "success"),
    session: attributesOf("session", "success"),
    password: attributesOf("password", "success"),
    oauth: attributesOf("oauth", "success"),
    none: attributesOf("none", "success"),
  };
  return {
    success: (credential) => instruments().authOutcomes.add(1, successes[credential]),
    refused: (code, credential) => {
      if (code !== undefined) instruments().authOutcomes.add(1, attributesOf(credential, knownOutcome(code)));
    },
  };
}

/**
 * The outcome as an attribute value: a code this copy does not know (made by another installed
 * copy of core, or a host's look-alike refusal) is `_OTHER`, as the semantic conventions say, so
 * the values stay the fixed set docs/telemetry.md lists.
 */
function knownOutcome(outcome: AuthOutcome): AuthOutcome | "_OTHER" {
  return outcome === "success" || Object.hasOwn(ERROR_CODES, outcome) ? outcome : "_OTHER";
}

/** Records one `ApiKeys.verify`: how long it took since `startedAt` (`performance.now()`), and its outcome. */
export function recordKeyVerification(startedAt: number, outcome: AuthOutcome, cache: "hit" | "miss" | undefined): void {
  const seconds = (performance.now() - startedAt) / 1000;
  const attributes: Attributes = { [TELEMETRY_ATTRIBUTES.outcome]: knownOutcome(outcome) };
  if (cache !== undefined) attributes[TELEMETRY_ATTRIBUTES.cacheResult] = cache;
  instruments().keyVerificationDuration.record(seconds, attributes);
}

const CACHE_HIT: Attributes = Object.freeze({ [TELEMETRY_ATTRIBUTES.cacheResult]: "hit" });
const CACHE_MISS: Attributes = Object.freeze({ [TELEMETRY_ATTRIBUTES.cacheResult]: "miss" });

/** Counts one verified-key cache lookup. */
export function recordKeyCacheLookup(hit: boolean): void {
  instruments().keyCacheLookups.add(1, hit ? CACHE_HIT : CACHE_MISS);
}

/** A store call in progress: its span, ended once by `end`, with the failure if there was one. */
export interface StoreCallTrace {
  /** Runs `call` with this span active, so spans the adapter's client makes (ioredis, pg) nest under it. */
  run<T>(call: () => T): T;
  /**
   * Ends the span; with `errorType` (`timeout`, a class name) as a failure, which is also
   * counted in `portcullis.store.errors`. Later calls do nothing: a late answer after a timeout
   * is not the call's outcome any more.
   */
  end(errorType?: string, error?: unknown): void;
}

/**
 * Starts the span of one store call.
 *
 * @example
 * const call = startStoreCall(KEY_STORE.findByDigest);
 * call.run(() => store.findByDigest(digest)).then(() => call.end(), (error) => call.end("Error", error));
 */
export function startStoreCall(operation: StoreOperation): StoreCallTrace {
  const span = tracer().startSpan(operation.spanName, { attributes: operation.attributes });
  let ended = false;
  return {
    run: (call) => (span.isRecording() ? context.with(trace.setSpan(context.active(), span), call) : call()),
    end(errorType, error) {
      if (ended) return;
      ended = true;
      if (errorType !== undefined) {
        instruments().storeErrors.add(1, { ...operation.attributes, [TELEMETRY_ATTRIBUTES.errorType]: errorType });
        failSpan(span, errorType, error);
      }
      span.end();
    },
  };
}

/**
 * Marks the span failed. The exception event carries the failure's type and message, as the logs
 * do, never its stack or properties: a client error (ioredis's) carries the command's arguments,
 * which can hold session ids and record data. A 503's scrubbed cause reads `Name: message`.
 */
function failSpan(span: Span, errorType: string, error: unknown): void {
  if (!span.isRecording()) return;
  span.setAttribute(TELEMETRY_ATTRIBUTES.errorType, errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
  if (!(error instanceof Error)) return;
  const named = `${errorType}: `;
  span.recordException({ name: errorType, message: error.message.startsWith(named) ? error.message.slice(named.length) : error.message });
}
