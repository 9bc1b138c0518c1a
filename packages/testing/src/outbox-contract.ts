import type { MailMessage, Outbox } from "@portcullis/core";

/** The outbox options the contract needs an adapter's factory to pass on. */
export interface OutboxContractOptions {
  /** How many of the newest messages the outbox keeps. */
  readonly capacity?: number;
}

const message = (n: number): MailMessage => ({
  to: `user${n}@example.com`,
  subject: `Message ${n}`,
  text: `Hello ${n}`,
  html: `<p>Hello ${n}</p>`,
});

/**
 * The behaviour every `Outbox` adapter must have. Each adapter's test file calls this with a
 * factory that returns a fresh, empty outbox, kept to `capacity` messages when it is given.
 *
 * @example
 * describeOutboxContract("MemoryOutbox", (options) => new MemoryOutbox(options));
 */
export function describeOutboxContract(adapter: string, makeOutbox: (options?: OutboxContractOptions) => Promise<Outbox> | Outbox): void {
  describe(`Outbox contract: ${adapter}`, () => {
    let outbox: Outbox;
    beforeEach(async () => {
      outbox = await makeOutbox();
    });

    test("a sent message is listed, newest first, as it was sent, with an id and when it was sent", async () => {
      const before = Date.now();
      for (const n of [1, 2, 3]) await outbox.send(message(n));
      const after = Date.now();
      const listed = await outbox.list();
      expect(listed).toEqual([3, 2, 1].map((n) => ({ ...message(n), id: expect.any(String), sentAt: expect.any(Number) })));
      expect(new Set(listed.map((kept) => kept.id)).size).toBe(3);
      for (const kept of listed) {
        expect(kept.sentAt).toBeGreaterThanOrEqual(before);
        expect(kept.sentAt).toBeLessThanOrEqual(after);
      }
      expect(listed[0]!.sentAt).toBeGreaterThanOrEqual(listed[2]!.sentAt);
    });

    test("text and HTML come back exactly, whatever characters they hold", async () => {
      const odd: MailMessage = {
        to: "zoë@example.com",
        subject: "Ça marche — 日本語 🎉",
        text: 'Line one\r\nLine "two"\t\\ end',
        html: "<p>&lt;script&gt; 'quoted' &amp; ✓</p>\n",
      };
      await outbox.send(odd);
      expect(await outbox.list()).toEqual([{ ...odd, id: expect.any(String), sentAt: expect.any(Number) }]);
    });

    test("list(limit) gives the newest `limit`; zero or less gives none", async () => {
      for (const n of [1, 2, 3, 4]) await outbox.send(message(n));
      expect((await outbox.list(2)).map((kept) => kept.subject)).toEqual(["Message 4", "Message 3"]);
      expect((await outbox.list(10)).map((kept) => kept.subject)).toEqual(["Message 4", "Message 3", "Message 2", "Message 1"]);
      expect(await outbox.list(0)).toEqual([]);
      expect(await outbox.list(-1)).toEqual([]);
    });

    test("it keeps only the newest `capacity` messages", async () => {
      const small = await makeOutbox({ capacity: 3 });
      for (const n of [1, 2, 3, 4, 5]) await small.send(message(n));
      expect((await small.list()).map((kept) => kept.subject)).toEqual(["Message 5", "Message 4", "Message 3"]);
      expect(await small.list(10)).toHaveLength(3);
    });

    test("ten messages sent at once are all kept, each with its own id", async () => {
      await Promise.all(Array.from({ length: 10 }, (_, n) => outbox.send(message(n))));
      const listed = await outbox.list();
      expect(listed.map((kept) => kept.subject).sort()).toEqual(Array.from({ length: 10 }, (_, n) => `Message ${n}`).sort());
      expect(new Set(listed.map((kept) => kept.id)).size).toBe(10);
    });

    test("something that is not a message is refused with a TypeError, and nothing is kept", async () => {
      for (const bad of [null, {}, { to: "a@example.com", subject: "s", text: "t" }, { ...message(1), html: 5 }]) {
        await expect(outbox.send(bad as never)).rejects.toThrow(TypeError);
      }
      expect(await outbox.list()).toEqual([]);
    });
  });
}
