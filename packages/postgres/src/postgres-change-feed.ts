import { Client, type ClientConfig } from "pg";

/** What a feed tells: a notification's payload, or that some may have gone unheard. */
export interface ChangeFeedListener {
  changed(payload: string): void;
  lost(): void;
}

const FIRST_RETRY_MS = 50;
const LAST_RETRY_MS = 1000;

/**
 * LISTENs on one channel over a connection of its own: a LISTEN belongs to its session, so it
 * cannot ride on a pooled connection that other work borrows. node-postgres does not reconnect,
 * so the feed does, backing off from 50 ms to 1 s; each time the LISTEN is in place again it
 * calls `lost()`, since notifications sent while it was down were never delivered.
 */
export class PostgresChangeFeed {
  readonly #config: ClientConfig;
  readonly #channel: string;
  readonly #listener: ChangeFeedListener;
  #client: Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #delayMs = FIRST_RETRY_MS;
  #closed = false;

  constructor(config: ClientConfig, channel: string, listener: ChangeFeedListener) {
    // Keepalive: a server that vanished without closing the connection is noticed, and the feed
    // reconnects, instead of listening to nothing.
    this.#config = { ...config, keepAlive: true };
    this.#channel = channel;
    this.#listener = listener;
    void this.#connect();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    client?.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new Client(this.#config);
    this.#client = client;
    client.on("error", () => this.#reconnect(client)); // requests never wait on this connection
    client.on("end", () => this.#reconnect(client));
    client.on("notification", ({ channel, payload }) => {
      if (channel === this.#channel && payload) this.#listener.changed(payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#channel}"`);
    } catch {
      return this.#reconnect(client);
    }
    if (this.#client !== client) return;
    this.#delayMs = FIRST_RETRY_MS;
    this.#listener.lost();
  }

  /** Replaces a connection that failed, once however many events report it. */
  #reconnect(client: Client): void {
    if (this.#closed || this.#client !== client) return;
    this.#client = undefined;
    client.end().catch(() => {});
    this.#retry = setTimeout(() => void this.#connect(), this.#delayMs);
    this.#retry.unref();
    this.#delayMs = Math.min(this.#delayMs * 2, LAST_RETRY_MS);
  }
}
