import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** An example server started as `node server.js`, on a free loopback port. */
export interface ExampleServer {
  readonly baseUrl: string;
  /** Everything the server printed so far (a key it made, a password it generated). */
  output(): string;
  stop(): void;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer().once("error", fail).listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

/**
 * Starts an example's `server.js` with `PORT` set, and resolves once it prints `ready` (a line it
 * writes when listening). The root `npm test` builds first, so examples run on the built packages.
 * REDIS_URL and DATABASE_URL are cleared unless `env` sets them: a test never reaches a server it
 * did not start, whatever the shell running jest has set.
 */
export async function startExampleServer(serverJs: string, ready: string, env: Record<string, string> = {}): Promise<ExampleServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [serverJs], {
    env: { ...process.env, REDIS_URL: "", DATABASE_URL: "", ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) resolve();
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`${serverJs} exited with ${code} before it was ready:\n${output}`)));
  });
  return { baseUrl: `http://127.0.0.1:${port}`, output: () => output, stop: () => void child.kill() };
}

/** A Python that has `requests`: the one on the PATH, or Debian's (`apt-get install python3-requests`). */
export function pythonWithRequests(): string {
  for (const python of ["python3", "/usr/bin/python3"]) {
    if (spawnSync(python, ["-c", "import requests"]).status === 0) return python;
  }
  throw new Error("no python3 with the requests module: install it with `apt-get install python3-requests` (.ci/run does)");
}

/** Runs a command to completion; throws with its output if it fails. */
export function runCommand(command: string, args: readonly string[], options: { cwd?: string; env?: Record<string, string>; input?: string } = {}): string {
  const result = spawnSync(command, args, { cwd: options.cwd, encoding: "utf8", env: { ...process.env, ...options.env }, input: options.input });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.stdout}${result.stderr}`);
  return result.stdout;
}
