// Instructions per request, counted by valgrind's callgrind: the same total on every run of the
// same build, whatever else the machine is doing, where req/s and CPU time drift by a quarter.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { startRedisServer } from "@portcullis/testing";
import { runWithCleanup } from "./lib/cleanup";
import { intFromEnv } from "./lib/env-settings";
import { describeEnvironment, runStart } from "./lib/environment";
import { formatNumber, formatPercent, markdownTable } from "./lib/markdown";
import { writeResultsSection } from "./lib/results-file";
import { startServer, type RunningServer } from "./lib/server-process";
import { selectVariants } from "./lib/variants";

/** Sends exactly `amount` requests, a few at a time (the server runs some fifty times slower). */
async function send(server: RunningServer, amount: number, expectedStatus: number): Promise<void> {
  const { method, path, headers, body } = server.request;
  const result = await autocannon({ url: `${server.url}${path}`, method, headers, ...(body === undefined ? {} : { body }), connections: 4, amount, timeout: 120 });
  const expected = result.statusCodeStats[String(expectedStatus)]?.count ?? 0;
  if (result.errors > 0 || expected !== amount) throw new Error(`${server.name}: ${expected} of ${amount} answers were ${expectedStatus}, ${result.errors} errors`);
}

function callgrindControl(flag: "-z" | "-d", pid: number): void {
  const run = spawnSync("callgrind_control", [flag, String(pid)], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`callgrind_control ${flag} failed: ${run.stderr}`);
}

/** The instruction total of the dump callgrind_control -d wrote (`<out>.<pid>.1`). */
function dumpedTotal(dir: string, pid: number): number {
  const file = readdirSync(dir).find((name) => name.endsWith(`.${pid}.1`));
  if (!file) throw new Error(`no callgrind dump for ${pid} in ${dir}`);
  const total = /^(?:summary|totals):\s+(\d+)/m.exec(readFileSync(join(dir, file), "utf8"))?.[1];
  if (total === undefined) throw new Error(`no total in ${file}`);
  return Number(total);
}

runWithCleanup("bench:instructions", async ({ defer }) => {
  if (spawnSync("valgrind", ["--version"]).status !== 0) throw new Error("valgrind is needed: apt-get install valgrind");
  const start = runStart();
  const requests = intFromEnv("BENCH_INSTRUCTION_REQUESTS", 3000, { max: 100_000 });
  // bcrypt-per-request hashes at cost 10 on every request, which takes minutes under valgrind.
  const variants = selectVariants(
    process.env.BENCH_VARIANTS ?? "bare,bare-two-layers,api-key-cached,api-key-uncached,passport,express-session-redis,session",
  );
  const dir = mkdtempSync(join(tmpdir(), "portcullis-callgrind-"));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  const redis = await startRedisServer();
  defer(() => redis.stop());
  const wrapper = ["valgrind", "--tool=callgrind", "--smc-check=all-non-file", `--callgrind-out-file=${join(dir, "callgrind.%p")}`];

  const perRequest = new Map<string, number>();
  for (const variant of variants) {
    const server = await startServer(variant.name, redis.url, { wrapper });
    try {
      await send(server, requests, variant.expectedStatus); // the JIT settles first
      callgrindControl("-z", server.pid);
      await send(server, requests, variant.expectedStatus);
      callgrindControl("-d", server.pid);
      perRequest.set(variant.name, dumpedTotal(dir, server.pid) / requests);
      console.log(`${variant.name.padEnd(20)} ${Math.round(perRequest.get(variant.name)!)} instructions per request`);
    } finally {
      await server.stop();
    }
  }

  const rows = variants.map((variant) => {
    const own = perRequest.get(variant.name)!;
    const base = variant.baseline === undefined ? undefined : perRequest.get(variant.baseline);
    return [`\`${variant.name}\``, variant.description, formatNumber(own / 1000, 1), base === undefined ? "baseline" : formatPercent(base / own)];
  });
  const table = markdownTable(["variant", "what runs", "thousand instructions per request", "instruction-bound vs baseline"], rows, ["l", "l", "r", "r"]);
  const method =
    `Each server runs alone under valgrind's callgrind; after ${requests} requests to settle the JIT, the counters are zeroed, ` +
    `${requests} more are sent (4 connections), and the instructions the server executed are divided by them. Counts repeat to ` +
    `within several per cent from run to run on the same build (JIT and GC timing vary; bare Express measured 719k to 815k instructions in four runs on one busy day), far steadier than req/s and CPU time on a shared machine; "instruction-bound" is the ` +
    `baseline's count over the variant's, the req/s ratio if instructions were all that mattered (they leave out cache misses and the kernel).`;
  console.log(`\n${table}`);
  writeResultsSection(
    "instructions",
    ["## Instructions per request", "", describeEnvironment(start, { requests }), "", method, "", table].join("\n"),
  );
  console.log("\nbench:instructions: wrote the instructions section of BENCHMARKS.md");
});
