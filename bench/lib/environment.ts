import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { findPostgresBinDir } from "@portcullis/testing";

/** The libraries whose versions a result depends on; read from their installed package.json. */
const LIBRARIES = [
  "express",
  "ioredis",
  "pg",
  "express-session",
  "connect-redis",
  "rate-limiter-flexible",
  "passport",
  "passport-headerapikey",
  "express-rate-limit",
  "rate-limit-redis",
  "bcrypt",
  "autocannon",
] as const;

// npm workspaces hoist dependencies to the root; a version conflict would leave one in bench/.
const NODE_MODULES = [join(__dirname, "..", "node_modules"), join(__dirname, "..", "..", "node_modules")];

function installedVersion(name: string): string {
  for (const dir of NODE_MODULES) {
    const file = join(dir, name, "package.json");
    if (existsSync(file)) return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  }
  return "not installed";
}

function redisServerVersion(): string {
  try {
    const line = execFileSync("redis-server", ["--version"], { encoding: "utf8" }).trim();
    return line.match(/v=(\S+)/)?.[1] ?? line;
  } catch {
    return "unknown";
  }
}

function postgresVersion(): string {
  const binDir = findPostgresBinDir();
  if (!binDir) return "not installed";
  try {
    const line = execFileSync(join(binDir, "postgres"), ["--version"], { encoding: "utf8" }).trim();
    return line.match(/(\d+(\.\d+)+)/)?.[1] ?? line;
  } catch {
    return "unknown";
  }
}

/** When a run started and how busy the machine was then (the run itself then adds to the load). */
export interface RunStart {
  readonly date: Date;
  readonly loadavg: readonly number[];
}

export function runStart(): RunStart {
  return { date: new Date(), loadavg: os.loadavg() };
}

/**
 * Where and with what a result was measured, as Markdown lines: the date, the machine and its
 * load, Node, the library and redis-server versions, and the run's own settings.
 */
export function describeEnvironment(start: RunStart, settings: Readonly<Record<string, string | number>>): string {
  const cpus = os.cpus();
  const memoryGiB = (os.totalmem() / 1024 ** 3).toFixed(1);
  const versions = LIBRARIES.map((name) => `${name} ${installedVersion(name)}`).join(", ");
  return [
    `- Date: ${start.date.toISOString().replace(/\.\d+Z$/, "Z")}`,
    `- Machine: ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${cpus.length} cores, ${memoryGiB} GiB memory, ${os.type()} ${os.release()} (${os.version()}, ${os.arch()})`,
    `- Load average when the run started: ${start.loadavg.map((load) => load.toFixed(2)).join(", ")} (1, 5, 15 min; other work on the machine skews every number)`,
    `- Node ${process.version}, redis-server ${redisServerVersion()}, PostgreSQL ${postgresVersion()}`,
    `- Libraries: ${versions}`,
    `- Settings: ${Object.entries(settings).map(([name, value]) => `${name} ${value}`).join(", ")}`,
  ].join("\n");
}
