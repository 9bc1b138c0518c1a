import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis, { type RedisOptions } from "ioredis";
import { assertRedisServerInstalled, freePort } from "./redis-server";

/** The master group the test sentinel monitors: what a host passes to ioredis as `name`. */
export const SENTINEL_MASTER_NAME = "portcullis";

/** A master, optionally a replica, and one sentinel monitoring them, on free loopback ports. */
export interface TestRedisSentinel {
  readonly name: string;
  readonly sentinelPort: number;
  /** The master the sentinel was started with; after `failover()`, the replica is the master. */
  readonly masterPort: number;
  readonly replicaPort: number | undefined;
  /** A new ioredis client that asks the sentinel where the master is; closed by `stop()`. */
  client(options?: RedisOptions): Redis;
  /** The master's port as the sentinel reports it now. */
  masterPortNow(): Promise<number>;
  /** Has the sentinel promote the replica; resolves once it names the replica as the master. */
  failover(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartRedisSentinelOptions {
  /** Start a replica of the master too, so that `failover()` has somewhere to go. @default false */
  readonly replica?: boolean;
}

const quiet = { maxRetriesPerRequest: 0, enableOfflineQueue: true, retryStrategy: () => null } as const;

/** Spawns redis-server with `args`; resolves once its log shows `readyText`. */
function launch(args: string[], readyText: string): Promise<ChildProcess> {
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(readyText)) {
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`redis-server ${args.join(" ")} exited with ${code} before it was ready:\n${output}`)));
  });
}

/** Starts a process on a free port, trying another if some other process took the port first. */
async function onFreePort(start: (port: number) => Promise<ChildProcess>): Promise<[number, ChildProcess]> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return [port, await start(port)];
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
}

function dataNode(port: number, dir: string, extra: string[] = []): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true });
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...extra];
  return launch(args, "Ready to accept connections");
}

/** One command on a short-lived connection. */
async function ask(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis(port, "127.0.0.1", quiet);
  client.on("error", () => {});
  try {
    return await client.call(args[0]!, ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`the test Redis Sentinel setup timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Field/value pairs as SENTINEL MASTER and SENTINEL REPLICAS answer them, as an object. */
function fields(pairs: unknown): Record<string, string> {
  const list = pairs as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]!] = list[i + 1]!;
  return out;
}

/**
 * Starts a master (and, with `replica: true`, a replica of it, synchronised before the sentinel
 * starts so the sentinel sees it at once) and one `redis-server --sentinel` monitoring the master
 * as "portcullis", from a config file in a temporary directory.
 */
export async function startRedisSentinel({ replica = false }: StartRedisSentinelOptions = {}): Promise<TestRedisSentinel> {
  assertRedisServerInstalled();
  const dir = mkdtempSync(join(tmpdir(), "portcullis-sentinel-"));
  const processes: ChildProcess[] = [];
  const stopProcesses = () =>
    Promise.all(
      processes.splice(0).map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGKILL");
          }),
      ),
    );
  const clients: Redis[] = [];
  try {
    // No wait before a diskless full sync (Redis waits 5 s by default for more replicas to join).
    const [masterPort, master] = await onFreePort((port) => dataNode(port, join(dir, "master"), ["--repl-diskless-sync-delay", "0"]));
    processes.push(master);
    let replicaPort: number | undefined;
    if (replica) {
      const [port, child] = await onFreePort((p) => dataNode(p, join(dir, "replica"), ["--replicaof", "127.0.0.1", String(masterPort)]));
      processes.push(child);
      replicaPort = port;
      await until(async () => /slave0:.*state=online/.test(String(await ask(masterPort, "INFO", "replication"))), "the replica to synchronise");
    }
    const [sentinelPort, sentinel] = await onFreePort((port) => {
      const config = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        config,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          `dir ${JSON.stringify(dir)}`,
          `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 1`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 10000`,
          "",
        ].join("\n"),
      );
      return launch([config, "--sentinel"], `+monitor master ${SENTINEL_MASTER_NAME}`);
    });
    processes.push(sentinel);
    const sentinelSees = (port: number) => async () =>
      ((await ask(sentinelPort, "SENTINEL", "REPLICAS", SENTINEL_MASTER_NAME)) as unknown[])
        .map(fields)
        .some((r) => r.port === String(port) && r.flags === "slave" && r["master-link-status"] === "ok");
    if (replicaPort !== undefined) await until(sentinelSees(replicaPort), "the sentinel to see the replica");

    const masterPortNow = async () => Number(((await ask(sentinelPort, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_MASTER_NAME)) as string[])[1]);
    return {
      name: SENTINEL_MASTER_NAME,
      sentinelPort,
      masterPort,
      replicaPort,
      client(options: RedisOptions = {}) {
        const client = new Redis({
          sentinels: [{ host: "127.0.0.1", port: sentinelPort }],
          name: SENTINEL_MASTER_NAME,
          maxRetriesPerRequest: 1,
          ...options,
        });
        client.on("error", () => {}); // a failover drops connections; failures surface through commands
        clients.push(client);
        return client;
      },
      masterPortNow,
      async failover() {
        if (replicaPort === undefined) throw new Error("failover() needs a replica: startRedisSentinel({ replica: true })");
        const target = (await masterPortNow()) === masterPort ? replicaPort : masterPort;
        // The sentinel refuses while it still settles a previous change; asking again is harmless.
        await until(async () => {
          if ((await masterPortNow()) === target) return true;
          await ask(sentinelPort, "SENTINEL", "FAILOVER", SENTINEL_MASTER_NAME).catch(() => {});
          return (await masterPortNow()) === target;
        }, "the failover");
      },
      async stop() {
        for (const client of clients.splice(0)) if (client.status !== "end") client.disconnect();
        await stopProcesses();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopProcesses();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Starts a Redis Sentinel setup before the tests of the calling file and stops it after them.
 *
 * @example
 * const sentinel = useRedisSentinel();
 * test("…", async () => { const client = sentinel().client(); … });
 */
export function useRedisSentinel(options: StartRedisSentinelOptions = {}): () => TestRedisSentinel {
  let setup: TestRedisSentinel | undefined;
  beforeAll(async () => {
    setup = await startRedisSentinel(options);
  }, 30_000);
  afterAll(async () => {
    await setup?.stop();
  });
  return () => {
    if (!setup) throw new Error("useRedisSentinel: the sentinel is only available inside tests");
    return setup;
  };
}
