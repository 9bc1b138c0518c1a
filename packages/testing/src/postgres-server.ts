import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { Pool, type PoolConfig } from "pg";
import { freePort } from "./redis-server";

const INSTALL_HINT =
  "PostgreSQL's initdb and postgres were not found in /usr/lib/postgresql/<version>/bin or on PATH. The tests start " +
  "their own PostgreSQL and need the binaries: install them with `sudo apt-get install postgresql` (Debian, Ubuntu) " +
  "or `brew install postgresql` (macOS).";

/**
 * A PostgreSQL this test started (initdb in a temp dir, a free loopback port, its socket in that
 * dir): never the machine's own server on 5432. Data is on disk, so it survives `kill()` and
 * `restart()`.
 */
export interface TestPostgres {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: the superuser, trusted on loopback. */
  readonly url: string;
  /** The temp dir holding the data directory and the server's socket; removed by `stop()`. */
  readonly dir: string;
  /** A new node-postgres pool on this server; ended by `stop()`. */
  pool(config?: PoolConfig): Pool;
  /** Stops the server at once, as a crash would (immediate shutdown): clients lose their connections. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and data, after `kill()` (or kills it first). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** The directory holding `initdb` and `postgres`. @default the newest /usr/lib/postgresql/<version>/bin, else PATH */
  readonly binDir?: string;
}

/** Debian keeps the server binaries off PATH, one directory per major version: take the newest. */
export function findPostgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((version) => existsSync(join(root, version, "bin", "initdb")))
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    : [];
  if (versions.length > 0) return join(root, versions[0]!, "bin");
  return (process.env.PATH ?? "").split(delimiter).find((dir) => dir !== "" && existsSync(join(dir, "initdb")) && existsSync(join(dir, "postgres")));
}

/** initdb refuses to run as root: as root, both programs run as the `postgres` user, in a dir it owns. */
interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

function runAsFor(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  const uid = id("-u");
  const gid = id("-g");
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error("startPostgres: running as root needs the `postgres` user to run initdb and postgres as (Debian's postgresql package creates it)");
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** setpriv (not runuser) execs the program itself, so a signal sent to the child reaches postgres. */
function command(runAs: RunAs | undefined, program: string, args: readonly string[]): [string, string[]] {
  if (!runAs) return [program, [...args]];
  return ["setpriv", [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, "--clear-groups", "--", program, ...args]];
}

function run(runAs: RunAs | undefined, program: string, args: readonly string[], cwd: string): Promise<void> {
  const [file, argv] = command(runAs, program, args);
  const child = spawn(file, argv, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", (error) => reject(new Error(`${INSTALL_HINT} (${error.message})`)));
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${program} exited with ${code}:\n${output}`))));
  });
}

function launch(runAs: RunAs | undefined, binDir: string, dir: string, port: number): Promise<ChildProcess> {
  const settings = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: dir,
    // Throwaway data: flushing to disk is not worth its time. Commits still reach the OS before
    // they return (synchronous_commit stays on), so what was committed survives kill().
    fsync: "off",
    full_page_writes: "off",
    max_connections: "50",
  };
  const args = ["-D", join(dir, "data"), "-p", String(port), ...Object.entries(settings).flatMap(([name, value]) => ["-c", `${name}=${value}`])];
  const [file, argv] = command(runAs, join(binDir, "postgres"), args);
  const child = spawn(file, argv, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("database system is ready to accept connections")) {
        child.stderr?.off("data", onData);
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stderr?.on("data", onData);
    child.stdout?.resume();
    child.once("error", (error) => reject(new Error(`${INSTALL_HINT} (${error.message})`)));
    child.once("exit", (code) => reject(new Error(`postgres exited with ${code} before it was ready:\n${output}`)));
  });
}

/**
 * Runs initdb in a fresh temp dir and starts PostgreSQL on a free loopback port (retrying if
 * another process takes the port first), trusting connections from loopback only.
 *
 * @example
 * const pg = await startPostgres();
 * const pool = pg.pool();
 * await pool.query("SELECT 1");
 * await pg.stop();
 */
export async function startPostgres({ binDir = findPostgresBinDir() }: StartPostgresOptions = {}): Promise<TestPostgres> {
  if (!binDir || !existsSync(join(binDir, "initdb"))) throw new Error(INSTALL_HINT);
  const runAs = runAsFor();
  const dir = mkdtempSync(join(tmpdir(), "portcullis-pg-"));
  const own = (path: string) => {
    if (runAs) chownSync(path, runAs.uid, runAs.gid);
  };
  own(dir);
  const data = join(dir, "data");
  try {
    await run(runAs, join(binDir, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], dir);
    // No socket outside this dir and no address but loopback: nothing else can reach it.
    writeFileSync(join(data, "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n", { mode: 0o600 });
    own(join(data, "pg_hba.conf"));
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    child = await launch(runAs, binDir, dir, port).catch((error: Error) => {
      if (attempt === 4) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      return undefined;
    });
  }
  const pools: Pool[] = [];
  const exited = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dir,
    pool(config: PoolConfig = {}) {
      const pool = new Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, ...config });
      pool.on("error", () => {}); // idle clients lose the server in outage tests; failures surface through queries
      pools.push(pool);
      return pool;
    },
    // SIGQUIT: immediate shutdown, children included (a SIGKILL would leave the backends running).
    kill: () => exited("SIGQUIT"),
    async restart() {
      await exited("SIGQUIT");
      child = await launch(runAs, binDir, dir, port);
    },
    async stop() {
      await Promise.all(pools.splice(0).map((pool) => pool.end().catch(() => {})));
      await exited("SIGINT"); // fast shutdown
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a PostgreSQL before the tests of the calling file and stops it after them: one server
 * per file, not per test (initdb takes a second or two).
 *
 * @example
 * const pg = usePostgres();
 * test("…", async () => { const pool = pg().pool(); … });
 */
export function usePostgres(): () => TestPostgres {
  let server: TestPostgres | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("usePostgres: the server is only available inside tests");
    return server;
  };
}
