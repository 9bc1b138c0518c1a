// The soak test: two processes of the demo server on one throwaway Redis, under steady API-key
// and session traffic while keys are created, rotated and revoked and sessions come and go, all
// on loopback for a bounded time. Every answer is judged against what the driver knew when it
// sent the request; the wrong ones are counted, printed and written to the soak section of
// BENCHMARKS.md, and any makes the exit code 1.
import { randomBytes } from "node:crypto";
import { startRedisServer } from "@portcullis/testing";
import { runWithCleanup } from "./lib/cleanup";
import { intFromEnv } from "./lib/env-settings";
import { describeEnvironment, runStart } from "./lib/environment";
import { writeResultsSection } from "./lib/results-file";
import { startDemo, type DemoProcess } from "./lib/soak-demo-process";
import { KeyPool, keyLifecycle, steadyKeyTraffic } from "./lib/soak-keys";
import { Ledger, type SessionLife } from "./lib/soak-ledger";
import { honouredTable, renderSoakSection, soakTargets, summaryLines, totalWrong, trafficTable, wrongAnswerTable } from "./lib/soak-report";
import type { SoakRun } from "./lib/soak-run";
import { cyclingSessions, login, longSession } from "./lib/soak-sessions";
import { createMembers, signIn, untilKeyWatchesListen } from "./lib/soak-setup";
import { honouredTimes, INVALIDATION_WINDOW_MS, judge } from "./lib/soak-verdicts";

const PROCESSES = 2;
const STEADY_WORKERS = 6;
/** Users with one session each for the whole run, and users whose sessions come and go (two at a time each). */
const LONG_SESSION_USERS = 2;
const CYCLING_USERS = 2;
const CYCLERS_PER_USER = 2;

runWithCleanup("soak", async ({ defer }) => {
  const start = runStart();
  const seconds = intFromEnv("SOAK_SECONDS", 70, { max: 3600 });
  const keyRate = intFromEnv("SOAK_KEY_RATE", 150, { max: 10_000 });

  const redis = await startRedisServer();
  defer(() => redis.stop());
  const admin = { email: "soak-admin@example.com", password: randomBytes(18).toString("base64url") };
  const env = {
    REDIS_URL: redis.url,
    PORTCULLIS_SECRET: randomBytes(32).toString("base64url"),
    SESSION_SECRET: randomBytes(32).toString("base64url"),
    MFA_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
    PORTCULLIS_ADMIN_EMAIL: admin.email,
    PORTCULLIS_ADMIN_PASSWORD: admin.password,
  };
  // One at a time: the first creates the admin in Redis, the next finds it there.
  const demos: DemoProcess[] = [];
  for (let i = 0; i < PROCESSES; i++) {
    const demo = await startDemo(`demo ${i}`, env);
    defer(() => demo.stop());
    demos.push(demo);
  }
  const origins = demos.map((demo) => demo.origin);
  console.log(`soak: ${PROCESSES} demo processes (${origins.join(", ")}) on ${redis.url}`);

  const setupCookie = await signIn(origins[0]!, admin.email, admin.password);
  const members = await createMembers(origins[0]!, setupCookie, LONG_SESSION_USERS + CYCLING_USERS);
  await untilKeyWatchesListen(redis, origins, setupCookie);
  // Each lifecycle actor manages keys through its own process, signed in there.
  const managers = await Promise.all(origins.map((origin) => signIn(origin, admin.email, admin.password)));

  const ledger = new Ledger();
  const background: Promise<void>[] = [];
  let until = Number.POSITIVE_INFINITY;
  let stopped = false;
  // Runs first on Ctrl-C: requests stop, so the servers' graceful close is not kept waiting.
  defer(() => void (stopped = true));
  const run: SoakRun = {
    origins,
    ledger,
    running: () => !stopped && Date.now() < until,
    stopped: () => stopped,
    background: (task) => void background.push(task),
  };
  const longSessions: SessionLife[] = [];
  for (const [i, user] of members.slice(0, LONG_SESSION_USERS).entries()) {
    const session = await login(run, i % PROCESSES, user);
    if (!session) throw new Error(`setup: ${user.email} could not sign in`);
    longSessions.push(session);
  }
  const cyclingUsers = members.slice(LONG_SESSION_USERS);

  const startedAt = Date.now();
  until = startedAt + seconds * 1000;
  console.log(`soak: set up in ${((startedAt - start.date.getTime()) / 1000).toFixed(1)} s; running for ${seconds} s`);
  const pool = new KeyPool();
  await Promise.all([
    ...managers.map((cookie, server) => keyLifecycle(run, server, cookie, pool)),
    ...Array.from({ length: STEADY_WORKERS }, () => steadyKeyTraffic(run, pool, keyRate / STEADY_WORKERS)),
    ...longSessions.map((session) => longSession(run, session)),
    ...cyclingUsers.flatMap((user) => Array.from({ length: CYCLERS_PER_USER }, () => cyclingSessions(run, user))),
  ]);
  await Promise.all(background);
  if (stopped) throw new Error("stopped before its time was up: nothing judged or written");
  const elapsed = (Date.now() - startedAt) / 1000;

  const verdicts = judge(ledger, startedAt);
  const times = honouredTimes(ledger, PROCESSES);
  const parts = [
    summaryLines(ledger, verdicts, times, elapsed, PROCESSES),
    trafficTable(ledger, PROCESSES),
    wrongAnswerTable(verdicts),
    honouredTable(times),
    `Targets:\n\n${soakTargets(ledger, verdicts, times)}`,
  ];
  console.log(`\n${parts.join("\n\n")}`);

  const method =
    `Two processes of the demo server (examples/demo-server, unchanged) on one redis-server, all on loopback. For ${seconds} s: ` +
    `${STEADY_WORKERS} workers send about ${keyRate} requests a second (GET /api/projects, needs \`read\`) with random live keys to ` +
    `either process; two admins, each signed in on one process, create keys there and revoke or rotate them (no grace, or 1 or 2 s), ` +
    `each key first used on both processes so both caches hold it, and both processes probed with it every 5 ms from the call ` +
    `until 300 ms after its answer (or around the end of its grace period); ${LONG_SESSION_USERS} users keep a session for the whole ` +
    `run (past the minute after which the server checks its user and rewrites it) and ${CYCLING_USERS * CYCLERS_PER_USER} actors (two per user) log in, make requests, log out on either process with requests ` +
    `still in flight, then try the old cookie on both. A request is judged by its send and answer times against the change: a key ` +
    `must work while nothing has ended it, must be refused when sent more than ${INVALIDATION_WINDOW_MS} ms after a revoke or rotate ` +
    `answered (or after its grace period), and anything in flight across that is right either way; a session must work until its ` +
    `logout is sent, answer as its own user, and be refused once the logout has answered. "Refused at once" below: no request sent ` +
    `after the end took effect was accepted; otherwise the time from then to the first refusal after the last acceptance.`;
  const settings = { seconds, "key requests/s": keyRate, processes: PROCESSES, "invalidation window ms": INVALIDATION_WINDOW_MS };
  writeResultsSection("soak", renderSoakSection(describeEnvironment(start, settings), method, parts));
  console.log("\nsoak: wrote the soak section of BENCHMARKS.md");
  const wrong = totalWrong(verdicts);
  if (wrong > 0) throw new Error(`${wrong} wrong answers (target 0); see above`);
});
