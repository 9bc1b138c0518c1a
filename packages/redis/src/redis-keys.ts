/**
 * Every Redis key portcullis writes is named here, and nowhere else.
 *
 * | key                               | type   | holds                                              |
 * | --------------------------------- | ------ | -------------------------------------------------- |
 * | `<prefix>key:<digest>`            | hash   | an API-key record, found by the key's HMAC digest  |
 * | `<prefix>key-id:<id>`             | string | the digest of the key with this id                 |
 * | `<prefix>owner-keys:<owner>`      | zset   | an owner's key ids, scored by creation time        |
 *
 * Every command touches a single key, so the layout works unchanged on Redis Cluster. Creating a
 * key writes three keys in order (id, owner index, record), so a failure part-way leaves at worst
 * an id that resolves to nothing, never a key that authenticates but cannot be listed or revoked.
 */
export class RedisKeys {
  constructor(readonly prefix: string = "portcullis:") {}

  apiKeyRecord(digest: string): string {
    return `${this.prefix}key:${digest}`;
  }

  apiKeyId(id: string): string {
    return `${this.prefix}key-id:${id}`;
  }

  ownerKeys(owner: string): string {
    return `${this.prefix}owner-keys:${owner}`;
  }
}
