import { type MailMessage, type Outbox, type OutboxMessage, DEFAULT_PREFIX } from "@portcullis/core";
import { configError, guardStore, isMailMessage, OUTBOX_CAPACITY, randomBase62, resolveOptions, timeoutMsOption, wholeNumber } from "@portcullis/core/internal";
import { z } from "zod";
import type { RedisClient } from "./redis-client";
import { RedisKeys } from "./redis-keys";

export interface RedisOutboxOptions {
  /** @default "portcullis:" */
  readonly prefix?: string;
  /**
   * How many of the newest messages are kept; older ones are dropped as new ones come.
   * @default 200
   */
  readonly capacity?: number;
  /**
   * How long one Redis call may take, in milliseconds, before it fails with 503 `auth_unavailable`.
   * @default 2000
   */
  readonly timeoutMs?: number;
}

/** The options, checked, with their defaults. */
const redisOutboxOptions = z.strictObject({
  prefix: z.string({ error: 'must be a string such as "myapp:"' }).default(DEFAULT_PREFIX),
  capacity: wholeNumber(1, 100_000).default(OUTBOX_CAPACITY),
  timeoutMs: timeoutMsOption,
});

/**
 * An outbox in Redis, shared by every process of the app: one list, `<prefix>outbox`, of the
 * messages as JSON, newest first. `send` is LPUSH and LTRIM in one MULTI on that single key, so
 * the list never holds more than `capacity` and the outbox works on Redis Cluster. For
 * development and demos only: it keeps the links and codes the messages carry.
 *
 * @example
 * const outbox = new RedisOutbox(redis, { prefix: "myapp:", capacity: 50 });
 * app.get("/dev/outbox", async (_req, res) => res.json(await outbox.list(20)));
 */
export class RedisOutbox implements Outbox {
  readonly keys: RedisKeys;
  readonly #redis: RedisClient;
  readonly #capacity: number;
  readonly #timeoutMs: number;

  constructor(redis: RedisClient, options: Readonly<RedisOutboxOptions> = {}) {
    if (!redis || typeof (redis as { lpush?: unknown }).lpush !== "function") {
      throw configError("RedisOutbox", "the first argument must be an ioredis client: new Redis(url) or new Cluster(nodes)");
    }
    const { prefix, capacity, timeoutMs } = resolveOptions("RedisOutbox", redisOutboxOptions, options ?? {});
    this.#redis = redis;
    this.#capacity = capacity;
    this.#timeoutMs = timeoutMs;
    this.keys = new RedisKeys(prefix);
  }

  async send(message: MailMessage): Promise<void> {
    if (!isMailMessage(message)) throw new TypeError("RedisOutbox.send: a message is { to, subject, text, html }");
    const { to, subject, text, html } = message;
    const kept: OutboxMessage = { id: `msg_${randomBase62(16)}`, sentAt: Date.now(), to, subject, text, html };
    const key = this.keys.outbox();
    const results = await guardStore(this.#redis.multi().lpush(key, JSON.stringify(kept)).ltrim(key, 0, this.#capacity - 1).exec(), this.#timeoutMs);
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error("RedisOutbox.send: the transaction was aborted");
  }

  async list(limit = this.#capacity): Promise<OutboxMessage[]> {
    const count = Math.min(Math.floor(limit), this.#capacity);
    // LRANGE reads a negative end from the list's tail: none asked for is none read.
    if (!(count > 0)) return [];
    const values = await guardStore(this.#redis.lrange(this.keys.outbox(), 0, count - 1), this.#timeoutMs);
    return values.map((value) => JSON.parse(value) as OutboxMessage);
  }
}
