import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { stopChild } from "./stop-child";

/** examples/demo-server/server.js, wrapped to stop when the driver's end of its stdin closes. */
const SOAK_DEMO = join(__dirname, "..", "servers", "soak-demo.js");
/** The line server.js prints once it listens. */
const READY = /portcullis demo on http:\/\/localhost:(\d+)/;
const READY_TIMEOUT_MS = 60_000; // bcrypt at cost 12 hashes at start-up, on a shared machine

/** One demo server process, listening on 127.0.0.1. */
export interface DemoProcess {
  readonly name: string;
  readonly origin: string;
  /** SIGTERM (the demo closes its server and stores), then SIGKILL if it has not exited within a few seconds. */
  stop(): Promise<void>;
}

/**
 * Starts the demo server on a free loopback port with `env` (REDIS_URL, the secrets, the admin)
 * and waits until it listens. Its later output goes to stderr, marked with `name`.
 */
export async function startDemo(name: string, env: Readonly<Record<string, string>>): Promise<DemoProcess> {
  const child = spawn(process.execPath, [SOAK_DEMO], { env: { ...process.env, ...env, PORT: "0" }, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-10_000);
  };
  child.stderr!.on("data", keep);
  const lines = createInterface({ input: child.stdout! });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      child.once("error", reject);
      child.once("exit", (code, signal) => reject(new Error(`exited (${signal ?? code}) before it listened`)));
      lines.on("line", (line) => {
        output += `${line}\n`;
        const ready = READY.exec(line);
        if (ready) {
          clearTimeout(timer);
          resolve(Number(ready[1]));
        }
      });
    });
    lines.removeAllListeners("line");
    lines.on("line", (line) => console.error(`[${name}] ${line}`));
    child.stderr!.off("data", keep);
    child.stderr!.on("data", (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString()}`));
    return { name, origin: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw new Error(`${name}: ${(error as Error).message}\n${output.trim()}`);
  }
}
