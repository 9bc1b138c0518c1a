import { setTimeout as sleep } from "node:timers/promises";
import { exchange } from "./soak-http";
import type { SessionCallKind, SessionLife } from "./soak-ledger";
import { anyServer, randomBetween, randomInt, type SoakRun } from "./soak-run";

/** A user the soak signs in as. */
export interface SoakUser {
  readonly id: string;
  readonly email: string;
  readonly password: string;
}

/** A long-lived session asks this often; it lives past the minute after which the server rewrites it. */
const LIVE_SESSION_GAP_MS = 50;
/**
 * A cycling session makes this many requests (from, below) before it logs out: about one login a
 * second over all cycling actors, each a bcrypt comparison at cost 12 (a quarter of a core-second).
 */
const CYCLE_REQUESTS = { from: 20, below: 60 };
/**
 * Each actor's first login comes at a random moment in this span: every actor signing in at once
 * would be a burst of bcrypt work, not the steady traffic the soak is about.
 */
const FIRST_LOGIN_SPREAD_MS = 3_000;
/** Requests sent just before the logout, to be in flight while it runs (from 0 to this). */
const MAX_RACING_REQUESTS = 2;
/** After a logout the old cookie is tried on every process at once, and again this much later. */
const RECHECK_AFTER_LOGOUT_MS = 200;

/** POST /api/auth/login on `server`; the session, if it was answered as it should be. */
export async function login(run: SoakRun, server: number, user: SoakUser): Promise<SessionLife | undefined> {
  const answer = await exchange(run.origins[server]!, server, {
    method: "POST",
    path: "/api/auth/login",
    json: { email: user.email, password: user.password },
  });
  const cookie = answer.cookies[0];
  const signedIn = (answer.body as { user?: { id?: unknown } } | undefined)?.user?.id;
  const ok = answer.status === 200 && cookie !== undefined && signedIn === user.id;
  run.ledger.manageCalls.push({ kind: "login", exchange: answer, ok });
  return ok ? { userId: user.id, cookie, availableAt: answer.receivedAt } : undefined;
}

/** POST /api/auth/logout on `server`, its times kept on the session for judging later requests. */
async function logout(run: SoakRun, server: number, session: SessionLife): Promise<void> {
  const logout: NonNullable<SessionLife["logout"]> = { sentAt: Date.now() };
  session.logout = logout;
  const answer = await exchange(run.origins[server]!, server, { method: "POST", path: "/api/auth/logout", headers: { cookie: session.cookie } });
  logout.receivedAt = answer.receivedAt;
  if (answer.status !== 204) logout.failed = true;
  run.ledger.manageCalls.push({ kind: "logout", exchange: answer, ok: answer.status === 204 });
}

/** GET /api/auth/me (which names the user) or GET /api/projects with the session's cookie, recorded. */
async function sessionRequest(run: SoakRun, session: SessionLife, server: number, kind: SessionCallKind): Promise<void> {
  const path = Math.random() < 0.5 ? "/api/auth/me" : "/api/projects";
  const answer = await exchange(run.origins[server]!, server, { path, headers: { cookie: session.cookie } });
  run.ledger.sessionCalls.push({ kind, session, path, exchange: answer });
}

/** The old cookie on every process: each must refuse it now. */
function afterLogout(run: SoakRun, session: SessionLife): Promise<void[]> {
  return Promise.all(run.origins.map((_, server) => sessionRequest(run, session, server, "after logout")));
}

/**
 * One session kept for the whole run (signed in before it starts, so it lives past the minute
 * after which the server checks its user and rewrites it), used on every process in turn.
 */
export async function longSession(run: SoakRun, session: SessionLife): Promise<void> {
  for (let i = 0; run.running(); i++) {
    await sessionRequest(run, session, i % run.origins.length, "live");
    await sleep(LIVE_SESSION_GAP_MS);
  }
  await logout(run, anyServer(run), session);
  await afterLogout(run, session);
}

/**
 * Logs in on a random process, makes some requests on either, logs out on either with a few
 * requests still in flight, then tries the old cookie everywhere; again and again until the run ends.
 */
export async function cyclingSessions(run: SoakRun, user: SoakUser): Promise<void> {
  await sleep(randomBetween(0, FIRST_LOGIN_SPREAD_MS));
  while (run.running()) {
    const session = await login(run, anyServer(run), user);
    if (!session) {
      await sleep(500);
      continue;
    }
    const requests = CYCLE_REQUESTS.from + randomInt(CYCLE_REQUESTS.below - CYCLE_REQUESTS.from);
    for (let i = 0; i < requests && run.running(); i++) {
      await sessionRequest(run, session, anyServer(run), "live");
      await sleep(randomBetween(20, 60));
    }
    const racing = Array.from({ length: randomInt(MAX_RACING_REQUESTS + 1) }, () => sessionRequest(run, session, anyServer(run), "live"));
    await logout(run, anyServer(run), session);
    await Promise.all(racing);
    await afterLogout(run, session);
    await sleep(RECHECK_AFTER_LOGOUT_MS); // a racing request that wrote the session back would show now
    await afterLogout(run, session);
    await sleep(randomBetween(100, 300));
  }
}
