import { setTimeout as sleep } from "node:timers/promises";
import { exchange, type Exchange } from "./soak-http";
import type { KeyCallKind, KeyEnding, KeyLife, ManageKind } from "./soak-ledger";
import { anyServer, randomBetween, randomInt, type SoakRun } from "./soak-run";

/** Probes of an ending key go on this long after the end took effect, every few milliseconds. */
const PROBE_AFTER_MS = 300;
const PROBE_GAP_MS = 5;
/** Probes of a grace period start this long before it ends, to see the key still accepted. */
const PROBE_BEFORE_EXPIRY_MS = 150;
/** An ended key stays in the steady traffic this long, so some of it is in flight across the end. */
const KEEP_IN_TRAFFIC_MS = 1_000;
const GRACE_SECONDS = [1, 2];
/** Far above anything the soak sends: the demo's default per-key limit (600 a minute) would answer 429. */
const NO_PRACTICAL_LIMIT = { points: 1_000_000, duration_seconds: 60 };
/** Each lifecycle actor keeps about this many live keys, creating more when it has fewer. */
const LIVE_KEYS = { min: 4, target: 10 };

/** When a key's end took effect: its grace period's end, or the answer; undefined while it works. */
function keyEndTime(key: KeyLife): number | undefined {
  const ending = key.ending;
  if (!ending) return undefined;
  if (ending.how === "grace" && !ending.failed) return ending.expiresAt;
  return ending.receivedAt ?? Number.POSITIVE_INFINITY;
}

/** The keys the steady traffic draws from: every live key, and ended ones for a second after their end. */
export class KeyPool {
  #keys: KeyLife[] = [];

  add(key: KeyLife): void {
    this.#keys.push(key);
  }

  pick(): KeyLife | undefined {
    const now = Date.now();
    this.#keys = this.#keys.filter((key) => {
      const ended = keyEndTime(key);
      return ended === undefined || now < ended + KEEP_IN_TRAFFIC_MS;
    });
    return this.#keys[randomInt(this.#keys.length)];
  }
}

/** GET /api/projects (needs `read`) with the key, recorded. */
async function keyRequest(run: SoakRun, key: KeyLife, server: number, kind: KeyCallKind): Promise<void> {
  const answer = await exchange(run.origins[server]!, server, { path: "/api/projects", headers: { authorization: `Bearer ${key.key}` } });
  run.ledger.keyCalls.push({ kind, key, exchange: answer });
}

/** One request with the key to every process: it must work everywhere, and is then in every cache. */
function checkEverywhere(run: SoakRun, key: KeyLife): Promise<void[]> {
  return Promise.all(run.origins.map((_, server) => keyRequest(run, key, server, "check")));
}

async function probeUntil(run: SoakRun, key: KeyLife, server: number, done: () => boolean): Promise<void> {
  while (!done() && !run.stopped()) {
    await keyRequest(run, key, server, "probe");
    await sleep(PROBE_GAP_MS);
  }
}

/** A key-management call made with an admin's session, recorded with whether it was answered as it should be. */
async function manage(run: SoakRun, server: number, cookie: string, kind: ManageKind, spec: Parameters<typeof exchange>[2], expected: number): Promise<Exchange> {
  const answer = await exchange(run.origins[server]!, server, { ...spec, headers: { cookie } });
  run.ledger.manageCalls.push({ kind, exchange: answer, ok: answer.status === expected });
  return answer;
}

/** The new key in a create or rotate answer, or undefined if the answer had none. */
function keyOf(answer: Exchange, expected: number): KeyLife | undefined {
  const body = answer.body as { key?: unknown; key_id?: unknown } | undefined;
  if (answer.status !== expected || typeof body?.key !== "string" || typeof body.key_id !== "string") return undefined;
  return { id: body.key_id, key: body.key, availableAt: answer.receivedAt };
}

async function createKey(run: SoakRun, server: number, cookie: string, pool: KeyPool, name: string): Promise<KeyLife | undefined> {
  const answer = await manage(
    run,
    server,
    cookie,
    "create",
    { method: "POST", path: "/api/auth/api-keys", json: { name, scopes: ["read"], rate_limit: NO_PRACTICAL_LIMIT } },
    201,
  );
  const key = keyOf(answer, 201);
  if (!key) return undefined;
  run.ledger.keys.push(key);
  pool.add(key);
  await checkEverywhere(run, key);
  return key;
}

/**
 * Revokes or rotates a key through one process while both are probed with it, from just before
 * the call until a while after its end took effect. The key is first used on both processes, so
 * each holds it in its cache and only the change (pub/sub, for the other process) can make it
 * refuse. Returns the new key of a rotation.
 */
async function endKey(run: SoakRun, server: number, cookie: string, pool: KeyPool, key: KeyLife, how: KeyEnding["how"]): Promise<KeyLife | undefined> {
  await checkEverywhere(run, key);
  const graceMs = GRACE_SECONDS[randomInt(GRACE_SECONDS.length)]! * 1000;
  const sentAt = Date.now();
  const ending: KeyEnding = how === "grace" ? { how, managedOn: server, sentAt, graceMs } : { how, managedOn: server, sentAt };
  key.ending = ending;
  let probing = true;
  const probes = run.origins.map((_, probed) => probeUntil(run, key, probed, () => !probing));

  const answer =
    how === "revoke"
      ? await manage(run, server, cookie, "revoke", { method: "DELETE", path: `/api/auth/api-keys/${key.id}` }, 204)
      : await manage(
          run,
          server,
          cookie,
          how === "grace" ? "rotate with grace" : "rotate",
          { method: "POST", path: `/api/auth/api-keys/${key.id}/rotate`, json: { grace_period_seconds: how === "grace" ? graceMs / 1000 : 0 } },
          201,
        );
  ending.receivedAt = answer.receivedAt;
  const next = how === "revoke" ? undefined : keyOf(answer, 201);
  if (ending.how === "grace") {
    const expiresAt = Date.parse((answer.body as { previous?: { expires_at?: string } } | undefined)?.previous?.expires_at ?? "");
    if (Number.isFinite(expiresAt)) {
      ending.expiresAt = expiresAt;
      run.background(probeAroundExpiry(run, key, expiresAt));
    }
  }
  if ((how === "revoke" && answer.status !== 204) || (how !== "revoke" && !next) || (ending.how === "grace" && ending.expiresAt === undefined)) {
    ending.failed = true; // what the key is now is not known: later requests are not judged
  }
  if (next) {
    run.ledger.keys.push(next);
    pool.add(next);
  }
  await Promise.all([next && checkEverywhere(run, next), sleep(PROBE_AFTER_MS)]);
  probing = false;
  await Promise.all(probes);
  return next;
}

/** Probes a key on every process from shortly before its grace period ends until a while after. */
async function probeAroundExpiry(run: SoakRun, key: KeyLife, expiresAt: number): Promise<void> {
  await sleep(Math.max(0, expiresAt - PROBE_BEFORE_EXPIRY_MS - Date.now()));
  await Promise.all(run.origins.map((_, server) => probeUntil(run, key, server, () => Date.now() > expiresAt + PROBE_AFTER_MS)));
}

function nextOperation(live: number): "create" | KeyEnding["how"] {
  if (live < LIVE_KEYS.min) return "create";
  const roll = Math.random();
  if (live < LIVE_KEYS.target && roll < 0.25) return "create";
  return roll < 0.5 ? "revoke" : roll < 0.8 ? "rotate" : "grace";
}

/**
 * One key-lifecycle actor: an admin signed in on `server` creates keys there, and revokes and
 * rotates them (without and with a grace period), one operation at a time, until the run ends.
 */
export async function keyLifecycle(run: SoakRun, server: number, cookie: string, pool: KeyPool): Promise<void> {
  const live: KeyLife[] = [];
  let made = 0;
  while (run.running()) {
    const operation = nextOperation(live.length);
    if (operation === "create") {
      const key = await createKey(run, server, cookie, pool, `soak ${server}-${made++}`);
      if (key) live.push(key);
    } else {
      const [key] = live.splice(randomInt(live.length), 1);
      const next = await endKey(run, server, cookie, pool, key!, operation);
      if (next) live.push(next);
    }
    await sleep(randomBetween(50, 250));
  }
}

/** Steady traffic: about `perSecond` requests a second, each with a random key from the pool to a random process. */
export async function steadyKeyTraffic(run: SoakRun, pool: KeyPool, perSecond: number): Promise<void> {
  const interval = 1000 / perSecond;
  let next = Date.now();
  while (run.running()) {
    const key = pool.pick();
    if (key) await keyRequest(run, key, anyServer(run), "steady");
    next += interval;
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    else if (wait < -10 * interval) next = Date.now(); // fell behind (a busy machine): no burst to catch up
  }
}
