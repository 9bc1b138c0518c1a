import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, Redis } from "ioredis";
import { assertRedisServerInstalled } from "./redis-server";

/** A three-master Redis Cluster on loopback, started by the test and torn down after it. */
export interface TestRedisCluster {
  readonly ports: readonly number[];
  /** A new ioredis Cluster client; closed by `stop()`. */
  client(): Cluster;
  stop(): Promise<void>;
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A port whose cluster-bus port (port + 10000) is free as well. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
  throw new Error("no free port pair for a Redis Cluster node");
}

function startNode(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    [
      "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
      "--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", "2000",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`redis-server (cluster node ${port}) exited with ${code}:\n${output}`)));
  });
}

async function waitForClusterOk(ports: readonly number[]): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const states = await Promise.all(
      ports.map(async (port) => {
        const node = new Redis(port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 0 });
        try {
          await node.connect();
          return ((await node.cluster("INFO")) as string).includes("cluster_state:ok");
        } catch {
          return false;
        } finally {
          node.disconnect();
        }
      }),
    );
    if (states.every(Boolean)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the test Redis Cluster did not reach cluster_state:ok");
}

/** Starts three cluster-enabled redis-servers and joins them with `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<TestRedisCluster> {
  assertRedisServerInstalled();
  const dir = mkdtempSync(join(tmpdir(), "portcullis-cluster-"));
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freeClusterPort(taken);
    taken.add(port).add(port + 10_000);
    ports.push(port);
  }
  const nodes = await Promise.all(ports.map((port) => startNode(port, dir)));
  const create = spawnSync(
    "redis-cli",
    ["--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`), "--cluster-replicas", "0", "--cluster-yes"],
    { encoding: "utf8" },
  );
  if (create.status !== 0) {
    for (const node of nodes) node.kill("SIGKILL");
    throw new Error(`redis-cli --cluster create failed:\n${create.stdout}${create.stderr}`);
  }
  await waitForClusterOk(ports);

  const clients: Cluster[] = [];
  return {
    ports,
    client() {
      const client = new Cluster(ports.map((port) => ({ host: "127.0.0.1", port })), { redisOptions: { maxRetriesPerRequest: 1 } });
      client.on("error", () => {});
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients.splice(0)) client.disconnect();
      await Promise.all(
        nodes.map(
          (node) =>
            new Promise<void>((resolve) => {
              if (node.exitCode !== null || node.signalCode !== null) return resolve();
              node.once("exit", () => resolve());
              node.kill("SIGKILL");
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a Redis Cluster before the tests of the calling file and stops it after them. */
export function useRedisCluster(): () => TestRedisCluster {
  let cluster: TestRedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (!cluster) throw new Error("useRedisCluster: the cluster is only available inside tests");
    return cluster;
  };
}

/**
 * How many keys matching `pattern` each master holds, in the client's order of masters. SCAN
 * reaches one node only, so each master is scanned in turn.
 *
 * @example
 * expect((await keysPerMaster(client, "portcullis:sess:*")).filter((n) => n > 0).length).toBeGreaterThan(1);
 */
export async function keysPerMaster(client: Cluster, pattern: string): Promise<number[]> {
  return Promise.all(
    client.nodes("master").map(async (node) => {
      let count = 0;
      let cursor = "0";
      do {
        const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        cursor = next;
        count += keys.length;
      } while (cursor !== "0");
      return count;
    }),
  );
}
