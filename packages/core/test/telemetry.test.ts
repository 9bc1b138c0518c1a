import { SpanStatusCode } from "@opentelemetry/api";
import { ApiKeys, MemoryKeyStore, PortcullisError, type ErrorCode } from "@portcullis/core";
import { authOutcomeRecorder, callStore, KEY_STORE, METRICS, recordKeyVerification } from "@portcullis/core/internal";
import { recordTelemetry, type RecordedTelemetry } from "@portcullis/testing";
import { createKeys, PREFIX, rejection, SECRET } from "./support/api-keys-setup";

let telemetry: RecordedTelemetry | undefined;
afterEach(async () => {
  await telemetry?.stop();
  telemetry = undefined;
});

const verifications = (where: Record<string, string> = {}) => telemetry!.total(METRICS.keyVerificationDuration, where);

describe("telemetry of ApiKeys", () => {
  it("reaches an SDK registered after the ApiKeys was made, and the one that replaces it", async () => {
    const { keys } = createKeys(); // made while no SDK is registered: every call is a no-op
    const { key } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
    expect((await keys.verify(key)).ok).toBe(true);

    telemetry = recordTelemetry();
    await keys.verify(key);
    expect(await verifications({ "portcullis.outcome": "success" })).toBe(1);

    await telemetry.stop();
    telemetry = recordTelemetry(); // another SDK, as a test harness or a reconfigured app would register
    await keys.verify(key);
    await keys.verify(keys.format.generate());
    expect(await verifications({ "portcullis.outcome": "success" })).toBe(1);
    expect(await verifications({ "portcullis.outcome": "invalid_key" })).toBe(1);
  });

  it("times each verification in seconds, and counts a cache miss then a hit", async () => {
    telemetry = recordTelemetry();
    const { keys } = createKeys();
    const { key } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });

    await keys.verify(key);
    await keys.verify(key);

    expect(await telemetry.total(METRICS.keyCacheLookups, { "portcullis.cache.result": "miss" })).toBe(1);
    expect(await telemetry.total(METRICS.keyCacheLookups, { "portcullis.cache.result": "hit" })).toBe(1);
    const [miss, hit] = ["miss", "hit"].map((result) => verifications({ "portcullis.outcome": "success", "portcullis.cache.result": result }));
    expect(await miss).toBe(1);
    expect(await hit).toBe(1);
    const points = await telemetry.points(METRICS.keyVerificationDuration);
    // Seconds, not milliseconds: a verification in memory takes far less than one.
    for (const point of points) expect(point.sum).toBeLessThan(1);
  });

  it("puts each store call in a span named after the port and its method", async () => {
    telemetry = recordTelemetry();
    const { keys } = createKeys({ store: new MemoryKeyStore() });
    const { record } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
    await keys.get(record.id);
    await keys.revoke(record.id);

    const names = telemetry.spans().map((span) => span.name);
    expect(names.slice(0, 3)).toEqual(["KeyStore.insert", "KeyStore.findById", "KeyStore.update"]);
    const insert = telemetry.spans().find((span) => span.name === "KeyStore.insert")!;
    expect(insert.attributes).toEqual({ "portcullis.store": "KeyStore", "portcullis.store.operation": "insert" });
    expect(insert.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("counts a failed store call and marks its span failed, with the failure's class and message but none of its properties", async () => {
    telemetry = recordTelemetry();
    const store = new MemoryKeyStore();
    const keys = new ApiKeys({ store, secret: SECRET, prefix: PREFIX, cache: false });
    const { key, record } = await keys.create({ owner: "alice", name: "CI", scopes: ["read"] });
    class ReplyError extends Error {
      override name = "ReplyError";
    }
    const failure = Object.assign(new ReplyError("LOADING Redis is loading the dataset in memory"), { command: { args: [`portcullis:key:${record.id}`, record.owner] } });
    store.findByDigest = () => Promise.reject(failure);

    expect((await rejection(keys.verify(key))).code).toBe("auth_unavailable");

    const where = { "portcullis.store": "KeyStore", "portcullis.store.operation": "findByDigest", "error.type": "ReplyError" };
    expect(await telemetry.total(METRICS.storeErrors, where)).toBe(1);
    expect(await verifications({ "portcullis.outcome": "auth_unavailable" })).toBe(1);
    const span = telemetry.spans().find((each) => each.name === "KeyStore.findByDigest")!;
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "ReplyError" });
    expect(span.attributes["error.type"]).toBe("ReplyError");
    expect(span.events.map((event) => event.attributes)).toEqual([
      { "exception.type": "ReplyError", "exception.message": "LOADING Redis is loading the dataset in memory" },
    ]);
    const values = await telemetry.attributeValues();
    for (const secret of [key, record.id, record.owner]) expect(values.join("\n")).not.toContain(secret);
  });

  it("counts a store that does not answer in time as a timeout, and ends its span then", async () => {
    telemetry = recordTelemetry();
    const stalled = new Promise<never>(() => {});
    const error = await callStore(KEY_STORE.findById, 20, () => stalled).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: "auth_unavailable" });
    expect(await telemetry.total(METRICS.storeErrors, { "portcullis.store.operation": "findById", "error.type": "timeout" })).toBe(1);
    expect(telemetry.spans().map((span) => [span.name, span.status.code])).toEqual([["KeyStore.findById", SpanStatusCode.ERROR]]);
  });

  it("takes a store call that throws at once for a failed call, and a refusal the store decided for an answer", async () => {
    telemetry = recordTelemetry();
    const thrown = await callStore(KEY_STORE.findById, 1000, () => {
      throw new TypeError("not a function");
    }).catch((caught: unknown) => caught);
    expect(thrown).toMatchObject({ code: "auth_unavailable" });
    const refusal = new PortcullisError("conflict");
    await expect(callStore(KEY_STORE.update, 1000, () => Promise.reject(refusal))).rejects.toBe(refusal);

    expect(await telemetry.total(METRICS.storeErrors)).toBe(1);
    expect(await telemetry.total(METRICS.storeErrors, { "error.type": "TypeError" })).toBe(1);
    const update = telemetry.spans().find((span) => span.name === "KeyStore.update")!;
    expect(update.status.code).toBe(SpanStatusCode.UNSET);
  });
});

describe("telemetry attribute values", () => {
  it("records a refusal code it does not know (another installed copy's, a host's) as _OTHER, so no caller widens the set", async () => {
    telemetry = recordTelemetry();
    const outcomes = authOutcomeRecorder("sessionAuth");
    outcomes.refused("tenant_4711_blocked" as ErrorCode, "session");
    outcomes.refused("session_expired", "session");
    recordKeyVerification(performance.now(), "tenant_4711_blocked" as ErrorCode, "miss");

    expect(await telemetry.total(METRICS.authOutcomes, { "portcullis.outcome": "_OTHER" })).toBe(1);
    expect(await telemetry.total(METRICS.authOutcomes, { "portcullis.outcome": "session_expired" })).toBe(1);
    expect(await verifications({ "portcullis.outcome": "_OTHER" })).toBe(1);
    expect(await telemetry.attributeValues()).not.toContain("tenant_4711_blocked");
  });
});
