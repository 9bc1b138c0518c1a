import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis, { type RedisOptions } from "ioredis";

const INSTALL_HINT =
  "redis-server was not found on PATH. The tests start their own Redis and need the binary: " +
  "install it with `sudo apt-get install redis-server` (Debian, Ubuntu) or `brew install redis` (macOS).";

/** A redis-server this test started on a free loopback port; it is never the machine's own Redis. */
export interface TestRedisServer {
  readonly port: number;
  readonly url: string;
  /** A new ioredis client for this server; closed by `stop()`. */
  client(options?: RedisOptions): Redis;
  /**
   * Freezes the server (SIGSTOP): connections stay open and commands queue unanswered, as in a
   * stall, until `resume()`; then they run in order, as a stalled Redis's would.
   */
  stall(): void;
  resume(): void;
  /** Stops the server and lets it start again on the same port with the same (empty) data. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function assertRedisServerInstalled(binary = "redis-server"): void {
  const probe = spawnSync(binary, ["--version"], { stdio: "ignore" });
  if (probe.error || probe.status !== 0) throw new Error(INSTALL_HINT);
}

/** A port nothing listens on at this moment, on loopback; another process may still take it first. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function launch(binary: string, port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    binary,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", (error) => reject(new Error(`${INSTALL_HINT} (${error.message})`)));
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`)));
  });
}

export interface StartRedisServerOptions {
  /** The server binary, found on the PATH. @default "redis-server" */
  readonly binary?: string;
}

/** Starts a redis-server on a free loopback port. Retries if another process takes the port first. */
export async function startRedisServer({ binary = "redis-server" }: StartRedisServerOptions = {}): Promise<TestRedisServer> {
  assertRedisServerInstalled(binary);
  const dir = mkdtempSync(join(tmpdir(), "portcullis-redis-"));
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    child = await launch(binary, port, dir).catch((error: Error) => {
      if (attempt === 4) throw error;
      return undefined;
    });
  }
  const clients: Redis[] = [];
  const exited = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  const server: TestRedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    client(options: RedisOptions = {}) {
      const client = new Redis(port, "127.0.0.1", { lazyConnect: false, maxRetriesPerRequest: 1, ...options });
      client.on("error", () => {}); // outages are part of some tests; failures surface through commands
      clients.push(client);
      return client;
    },
    stall: () => void child?.kill("SIGSTOP"),
    resume: () => void child?.kill("SIGCONT"),
    kill: exited,
    async restart() {
      await exited();
      child = await launch(binary, port, dir);
    },
    async stop() {
      // An ended client has nothing to close, and disconnecting it again leaves a timer running.
      for (const client of clients.splice(0)) if (client.status !== "end") client.disconnect();
      await exited();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/**
 * Starts a redis-server before the tests of the calling file and stops it after them.
 *
 * @example
 * const redis = useRedisServer();
 * test("…", async () => { const client = redis().client(); … });
 */
export function useRedisServer(): () => TestRedisServer {
  let server: TestRedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("useRedisServer: the server is only available inside tests");
    return server;
  };
}
