import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { stopChild } from "./stop-child";

/** The request a server asks the driver to send, from its ready line. */
export interface LoadRequest {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** A benchmark server running as a child process, ready for load. */
export interface RunningServer {
  readonly name: string;
  /** The server's process id, to read the CPU time it spends. */
  readonly pid: number;
  readonly url: string;
  readonly request: LoadRequest;
  /** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
  stop(): Promise<void>;
}

const SERVERS_DIR = join(__dirname, "..", "servers");
const READY_TIMEOUT_MS = 60_000; // eleven servers start at once on two cores; bcrypt at cost 12 runs three times
/** Under valgrind a server starts some fifty times slower, minutes when the machine is busy. */
const WRAPPED_READY_TIMEOUT_MS = 600_000;

function isReadyLine(value: unknown): value is { ready: true; port: number; request: LoadRequest } {
  const line = value as { ready?: unknown; port?: unknown; request?: { method?: unknown; path?: unknown; headers?: unknown } };
  return (
    line?.ready === true &&
    Number.isInteger(line.port) &&
    (line.request?.method === "GET" || line.request?.method === "POST") &&
    typeof line.request.path === "string" &&
    typeof line.request.headers === "object"
  );
}

/**
 * Starts bench/servers/<name>.js on a free loopback port and waits for its ready line. The server
 * also exits when this process's end of its stdin closes, so it cannot outlive the driver.
 */
export async function startServer(
  name: string,
  redisUrl: string,
  { wrapper = [], databaseUrl }: { wrapper?: readonly string[]; databaseUrl?: string } = {},
): Promise<RunningServer> {
  // A wrapper (valgrind) runs the server inside itself, in the same process.
  const [command, ...args] = [...wrapper, process.execPath, join(SERVERS_DIR, `${name}.js`)];
  const child = spawn(command!, args, {
    env: { ...process.env, PORT: "0", REDIS_URL: redisUrl, EXIT_WITH_STDIN: "1", ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }) },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const readyTimeoutMs = wrapper.length > 0 ? WRAPPED_READY_TIMEOUT_MS : READY_TIMEOUT_MS;
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  const lines = createInterface({ input: child.stdout! });
  try {
    const ready = await new Promise<{ port: number; request: LoadRequest }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line within ${readyTimeoutMs / 1000} s`)), readyTimeoutMs);
      child.once("error", reject);
      child.once("exit", (code, signal) => reject(new Error(`exited (${signal ?? code}) before it was ready`)));
      lines.on("line", (line) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          return; // a log line, not the ready line
        }
        if (isReadyLine(parsed)) {
          clearTimeout(timer);
          resolve(parsed);
        }
      });
    });
    // From here on its output is only diagnostics: pass it through, marked with its name.
    lines.removeAllListeners("line");
    lines.on("line", (line) => console.error(`[${name}] ${line}`));
    child.stderr!.on("data", (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString()}`));
    return { name, pid: child.pid!, url: `http://127.0.0.1:${ready.port}`, request: ready.request, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw new Error(`server ${name}: ${(error as Error).message}\n${stderr.trim()}`);
  }
}
