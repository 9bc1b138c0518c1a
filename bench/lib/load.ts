import autocannon from "autocannon";
import type { RunningServer } from "./server-process";

/** One autocannon run against one server. */
export interface LoadResult {
  /** Responses per second over the run. */
  readonly rps: number;
  /** Latency percentiles in milliseconds, over every response. */
  readonly p50: number;
  readonly p99: number;
  readonly responses: number;
  /**
   * CPU time per response, in microseconds, of the server process and of redis-server: the cost
   * of a request on a machine of its own, where the load generator shares nothing.
   */
  readonly serverCpuUs?: number;
  readonly redisCpuUs?: number;
}

/** Reads CPU seconds used so far by the server and by Redis, before and after a run. */
export interface CpuProbe {
  server(): number | undefined;
  redis(): Promise<number>;
}

export interface LoadOptions {
  readonly seconds: number;
  readonly connections: number;
  /** Every response must have this status, or the run fails. */
  readonly expectedStatus: number;
  /**
   * A warm-up may end before the slowest variant (bcrypt at 50 connections) answers anything;
   * a measured run that saw no response fails.
   * @default true
   */
  readonly requireResponses?: boolean;
}

/** Waiting for a server to finish the work a run left behind; bcrypt at 50 connections takes seconds. */
const DRAIN_TIMEOUT_MS = 60_000;

/** Sends the server's request once, by hand. */
async function requestOnce(server: RunningServer): Promise<Response> {
  const { method, path, headers, body } = server.request;
  const init = { method, headers, signal: AbortSignal.timeout(DRAIN_TIMEOUT_MS) };
  return fetch(`${server.url}${path}`, body === undefined ? init : { ...init, body });
}

/** One request sent by hand, to show in a failure what the server actually answers. */
async function sampleAnswer(server: RunningServer): Promise<string> {
  try {
    const response = await requestOnce(server);
    return `one request by hand: ${response.status} ${(await response.text()).slice(0, 300)}`;
  } catch (error) {
    return `one request by hand failed: ${(error as Error).message}`;
  }
}

/**
 * Waits until the server has worked off what a run left in flight: autocannon stops at the
 * deadline, but the server still answers the requests it had accepted, which would slow the next
 * run (its own, or another variant's on the same cores). One request sent after them is answered
 * after them.
 */
export async function drain(server: RunningServer): Promise<void> {
  const response = await requestOnce(server);
  await response.arrayBuffer();
}

/**
 * Loads a server with autocannon on loopback and checks every response: a benchmark whose auth
 * refuses everything (or whose server errors) measures nothing, so any other status, socket error
 * or timeout fails the run with what was seen.
 */
export async function runLoad(
  server: RunningServer,
  { seconds, connections, expectedStatus, requireResponses = true }: LoadOptions,
  cpu?: CpuProbe,
): Promise<LoadResult> {
  const { method, path, headers, body } = server.request;
  const serverBefore = cpu?.server();
  const redisBefore = await cpu?.redis();
  const result = await autocannon({
    url: `${server.url}${path}`,
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    connections,
    duration: seconds,
  });
  const counts = Object.entries(result.statusCodeStats);
  const responses = counts.reduce((sum, [, { count }]) => sum + count, 0);
  const unexpected = counts.filter(([status]) => Number(status) !== expectedStatus);
  if ((requireResponses && responses === 0) || unexpected.length > 0 || result.errors > 0) {
    const seen = counts.map(([status, { count }]) => `${count} × ${status}`).join(", ") || "no responses";
    throw new Error(
      `${server.name}: every response must be ${expectedStatus}; got ${seen}, ${result.errors} errors (${result.timeouts} timeouts); ` +
        (await sampleAnswer(server)),
    );
  }
  // Counted to the end of the requests the server had accepted, which it still answers.
  await drain(server);
  const serverAfter = cpu?.server();
  const redisAfter = await cpu?.redis();
  const perResponse = (before?: number, after?: number) =>
    before === undefined || after === undefined ? undefined : ((after - before) * 1e6) / (responses + 1);
  return {
    rps: responses / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    responses,
    serverCpuUs: perResponse(serverBefore, serverAfter),
    redisCpuUs: perResponse(redisBefore, redisAfter),
  };
}
