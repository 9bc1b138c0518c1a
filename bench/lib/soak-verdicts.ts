import type { Exchange } from "./soak-http";
import type { KeyCall, KeyLife, Ledger, SessionCall } from "./soak-ledger";

/**
 * Issue 6's target: while pub/sub is up, a revocation is honoured by every process within this
 * long of its answer. A request sent later than that must be refused.
 */
export const INVALIDATION_WINDOW_MS = 100;

/** The wrong answers, each counted; the target is zero of every one. */
export const WRONG_ANSWERS = [
  "revoked key accepted",
  "rotated-out key accepted",
  "key accepted after its grace period",
  "valid key refused",
  "live session refused",
  "session answered as another user",
  "logged-out session accepted",
  "management call failed",
  "server error (5xx)",
  "request failed (no answer)",
  "unexpected status",
] as const;
export type WrongAnswer = (typeof WRONG_ANSWERS)[number];

export interface Verdicts {
  readonly wrong: Map<WrongAnswer, number>;
  /** The first few of each wrong answer, described, to start looking from. */
  readonly examples: Map<WrongAnswer, string[]>;
  /** 429s: not wrong for a key that is valid, but they would hide its answer. */
  readonly limited: number;
  /** Requests in a window where either answer is right (in flight while a key or session ended). */
  readonly undecided: { readonly accepted: number; readonly refused: number };
  /** The latest a request was accepted after its key's end took effect (answer or expiry), ms. */
  readonly latestStaleAcceptanceMs: number | undefined;
}

const EXAMPLES_KEPT = 5;

/** The time before which a key must still be accepted: an answer that came back earlier was decided earlier. */
function validUntil(key: KeyLife): number {
  const ending = key.ending;
  if (!ending) return Number.POSITIVE_INFINITY;
  // A grace period starts when the server handles the rotation, after the call left.
  if (ending.how === "grace" && !ending.failed) return ending.expiresAt ?? ending.sentAt + ending.graceMs;
  return ending.sentAt;
}

/** The time from which the key's end has taken effect: the answer, or the end of the grace period. */
function endedAt(key: KeyLife): number | undefined {
  const ending = key.ending;
  if (!ending || ending.failed || ending.receivedAt === undefined) return undefined;
  if (ending.how === "grace") return ending.expiresAt === undefined ? undefined : Math.max(ending.expiresAt, ending.receivedAt);
  return ending.receivedAt;
}

const ACCEPTANCE: Record<"revoke" | "rotate" | "grace", WrongAnswer> = {
  revoke: "revoked key accepted",
  rotate: "rotated-out key accepted",
  grace: "key accepted after its grace period",
};

/** Collects the verdicts on every request in the ledger. */
export function judge(ledger: Ledger, start: number): Verdicts {
  const wrong = new Map<WrongAnswer, number>();
  const examples = new Map<WrongAnswer, string[]>();
  const undecided = { accepted: 0, refused: 0 };
  let limited = 0;
  let latestStaleAcceptanceMs: number | undefined;
  const at = (time: number) => `${((time - start) / 1000).toFixed(3)} s`;
  const describe = (exchange: Exchange) =>
    `server ${exchange.server}, sent at ${at(exchange.sentAt)}, answered ${exchange.status}${exchange.code ? ` ${exchange.code}` : ""} ` +
    `after ${exchange.receivedAt - exchange.sentAt} ms`;
  const count = (what: WrongAnswer, detail: string) => {
    wrong.set(what, (wrong.get(what) ?? 0) + 1);
    const kept = examples.get(what) ?? [];
    if (kept.length < EXAMPLES_KEPT) examples.set(what, [...kept, detail]);
  };
  /** The failures every request can have; true when one was counted. */
  const failed = (exchange: Exchange, detail: () => string): boolean => {
    if (exchange.status === "error") count("request failed (no answer)", detail());
    else if (exchange.status >= 500) count("server error (5xx)", detail());
    else return false;
    return true;
  };

  for (const call of ledger.keyCalls) judgeKeyCall(call);
  for (const call of ledger.sessionCalls) judgeSessionCall(call);
  for (const call of ledger.manageCalls) {
    const detail = () => `${call.kind}: ${describe(call.exchange)}`;
    if (call.exchange.status === 429) limited += 1;
    else if (!failed(call.exchange, detail) && !call.ok) count("management call failed", detail());
  }
  return { wrong, examples, limited, undecided, latestStaleAcceptanceMs };

  function judgeKeyCall({ key, kind, exchange }: KeyCall): void {
    const ending = key.ending;
    const detail = () => {
      const end = ending ? `; ${ending.how} sent at ${at(ending.sentAt)}${ending.receivedAt ? `, answered at ${at(ending.receivedAt)}` : ""}` : "";
      const expiry = ending?.how === "grace" && ending.expiresAt ? `, grace ends at ${at(ending.expiresAt)}` : "";
      return `${kind} request with key ${key.id}: ${describe(exchange)}${end}${expiry}`;
    };
    if (failed(exchange, detail)) return;
    // A 429 comes after authentication: the key was accepted, only its quota ran out.
    const accepted = exchange.status === 200 || exchange.status === 429;
    if (!accepted && exchange.status !== 401) return count("unexpected status", detail());
    if (exchange.receivedAt < validUntil(key)) {
      if (!accepted) count("valid key refused", detail());
      else if (exchange.status === 429) limited += 1;
      return;
    }
    const ended = endedAt(key);
    if (ended !== undefined && accepted && exchange.sentAt > ended) {
      latestStaleAcceptanceMs = Math.max(latestStaleAcceptanceMs ?? 0, exchange.sentAt - ended);
    }
    if (ended !== undefined && exchange.sentAt > ended + INVALIDATION_WINDOW_MS) {
      if (accepted) count(ACCEPTANCE[ending!.how], detail());
      return;
    }
    if (accepted) undecided.accepted += 1;
    else undecided.refused += 1;
  }

  function judgeSessionCall({ session, kind, path, exchange }: SessionCall): void {
    const logout = session.logout;
    const detail = () =>
      `${kind} ${path} for user ${session.userId}: ${describe(exchange)}` +
      (logout ? `; logout sent at ${at(logout.sentAt)}${logout.receivedAt ? `, answered at ${at(logout.receivedAt)}` : ""}` : "");
    if (failed(exchange, detail)) return;
    const accepted = exchange.status === 200;
    if (!accepted && exchange.status !== 401) return count("unexpected status", detail());
    if (!logout || exchange.receivedAt < logout.sentAt) {
      if (!accepted) return count("live session refused", detail());
      const user = (exchange.body as { user?: { id?: unknown } } | undefined)?.user?.id;
      if (path.endsWith("/me") && user !== session.userId) count("session answered as another user", detail());
      return;
    }
    // Sessions live in Redis and are read on every request: a logout holds at once, everywhere.
    if (!logout.failed && logout.receivedAt !== undefined && exchange.sentAt > logout.receivedAt) {
      if (accepted) count("logged-out session accepted", detail());
      return;
    }
    if (accepted) undecided.accepted += 1;
    else undecided.refused += 1;
  }
}

/** How long after a key's end every later request was refused, one figure per key and process. */
export interface HonouredTimes {
  /** Revocations and rotations, on the process that made them. */
  readonly sameProcess: number[];
  /** …and on the other process, which hears of them through pub/sub. */
  readonly otherProcess: number[];
  /** The end of a grace period (no message involved: each process reads the expiry itself). */
  readonly graceExpiry: number[];
  /** Key and process pairs still accepting at the last request sent to them. */
  readonly neverRefused: number;
}

/**
 * For each ended key and each process: 0 if no request sent after the end took effect was
 * accepted, else the time from that moment to the first refusal after the last acceptance (the
 * probes send every few milliseconds, so that is the resolution).
 */
export function honouredTimes(ledger: Ledger, servers: number): HonouredTimes {
  const byKey = new Map<KeyLife, KeyCall[]>();
  for (const call of ledger.keyCalls) byKey.set(call.key, [...(byKey.get(call.key) ?? []), call]);
  const result = { sameProcess: [] as number[], otherProcess: [] as number[], graceExpiry: [] as number[], neverRefused: 0 };
  for (const [key, calls] of byKey) {
    const ended = endedAt(key);
    if (ended === undefined) continue;
    for (let server = 0; server < servers; server++) {
      const mine = calls.filter((call) => call.exchange.server === server && call.exchange.sentAt > ended).sort((a, b) => a.exchange.sentAt - b.exchange.sentAt);
      if (mine.length === 0) continue;
      const accepts = (call: KeyCall) => call.exchange.status === 200 || call.exchange.status === 429;
      let last = mine.length - 1;
      while (last >= 0 && !accepts(mine[last]!)) last -= 1;
      let honoured: number;
      if (last === -1) honoured = 0;
      else if (last === mine.length - 1) {
        result.neverRefused += 1;
        continue;
      } else honoured = mine[last + 1]!.exchange.sentAt - ended;
      const group = key.ending!.how === "grace" ? result.graceExpiry : key.ending!.managedOn === server ? result.sameProcess : result.otherProcess;
      group.push(honoured);
    }
  }
  return result;
}
