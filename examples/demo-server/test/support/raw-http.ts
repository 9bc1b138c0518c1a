import { connect } from "node:net";

/** The first response to a raw request: status, headers (names lower-cased), body as sent (chunked stays chunked). */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** What came back: a response, the connection closed without one, or nothing in time. */
export type RawOutcome = { readonly kind: "response"; readonly response: RawResponse } | { readonly kind: "closed"; readonly error?: string } | { readonly kind: "timeout" };

export interface SendRawOptions {
  /** Half-close after writing, for a request the server cannot finish reading (it then sees the end). */
  readonly endAfterWrite?: boolean;
  /** A response to HEAD has no body, whatever its Content-Length says. */
  readonly head?: boolean;
  readonly timeoutMs?: number;
}

/**
 * Writes `bytes` to a fresh connection exactly as given, where fetch and supertest would fix the
 * framing or refuse the header, and reads the first final (non-1xx) response.
 */
export function sendRaw(port: number, bytes: Buffer, { endAfterWrite = false, head = false, timeoutMs = 15_000 }: SendRawOptions = {}): Promise<RawOutcome> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (outcome: RawOutcome | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: "timeout" }), timeoutMs);
    socket.once("connect", () => {
      socket.write(bytes);
      if (endAfterWrite) socket.end();
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const response = completeResponse(received, head, false);
      if (response) finish({ kind: "response", response });
    });
    socket.once("close", () => {
      const response = completeResponse(received, head, true);
      finish(response ? { kind: "response", response } : { kind: "closed" });
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      // Refused: nothing is listening any more, which the caller must hear about.
      if (error.code === "ECONNREFUSED") return finish(new Error(`connection refused on port ${port}: the server is down`));
      const response = completeResponse(received, head, true);
      finish(response ? { kind: "response", response } : { kind: "closed", error: error.code ?? error.message });
    });
  });
}

const HEAD_END = Buffer.from("\r\n\r\n");

/** The first final response in `data` once it is whole, or (at the end of the stream) as much as came. */
function completeResponse(data: Buffer, head: boolean, ended: boolean): RawResponse | undefined {
  let start = 0;
  for (;;) {
    const end = data.indexOf(HEAD_END, start);
    if (end < 0) return undefined;
    const lines = data.subarray(start, end).toString("latin1").split("\r\n");
    const status = /^HTTP\/\d\.\d (\d{3})/.exec(lines[0] ?? "");
    if (!status) return undefined;
    const code = Number(status[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const bodyStart = end + HEAD_END.length;
    if (code >= 100 && code < 200) {
      start = bodyStart; // 100 Continue: the final response follows
      continue;
    }
    const rest = data.subarray(bodyStart);
    if (head || code === 204 || code === 304) return { status: code, headers, body: Buffer.alloc(0) };
    const length = headers["content-length"];
    if (length !== undefined) {
      const n = Number(length);
      return rest.length >= n ? { status: code, headers, body: rest.subarray(0, n) } : ended ? { status: code, headers, body: rest } : undefined;
    }
    if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
      return rest.includes("\r\n0\r\n\r\n") || rest.subarray(0, 5).toString() === "0\r\n\r\n" || ended ? { status: code, headers, body: rest } : undefined;
    }
    return ended ? { status: code, headers, body: rest } : undefined;
  }
}
