import type { Client, ClientConfig, Pool } from "pg";

/** What a feed tells: a notification's payload, or that some may have gone unheard. */
export interface ChangeFeedListener {
  changed(payload: string): void;
  lost(): void;
}

const FIRST_RETRY_MS = 50;
const LAST_RETRY_MS = 1000;

type ClientClass = new (config: ClientConfig) => Client;

/**
 * The client class the pool itself connects with (pg-pool keeps it as `pool.Client`; @types/pg
 * does not declare it): the feed's connection is then made exactly as the pool's are, by the
 * app's own copy of pg, and this package never loads pg itself, so an app without PostgreSQL can
 * load the `portcullis` umbrella without pg installed.
 */
function clientClassOf(pool: Pool): ClientClass {
  const own = (pool as Pool & { Client?: unknown }).Client;
  return typeof own === "function" ? (own as ClientClass) : (require("pg") as typeof import("pg")).Client;
}

/**
 * LISTENs on one channel over a connection of its own: a LISTEN belongs to its session, so it
 * cannot ride on a pooled connection that other work borrows. node-postgres does not reconnect,
 * so the feed does, backing off from 50 ms to 1 s; each time the LISTEN is in place again it
 * calls `lost()`, since notifications sent while it was down were never delivered.
 */
export class PostgresChangeFeed {
  readonly #Client: ClientClass;
  readonly #config: ClientConfig;
  readonly #channel: string;
  readonly #listener: ChangeFeedListener;
  #client: Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #delayMs = FIRST_RETRY_MS;
  #closed = false;

  /** Connects with the pool's settings and its client class. */
  constructor(pool: Pool, channel: string, listener: ChangeFeedListener) {
    this.#Client = clientClassOf(pool);
    // Keepalive: a server that vanished without closing the connection is noticed, and the feed
    // reconnects, instead of listening to nothing.
    this.#config = { ...pool.options, keepAlive: true };
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
    const client = new this.#Client(this.#config);
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
