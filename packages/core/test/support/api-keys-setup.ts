import { ApiKeys, MemoryKeyStore, PortcullisError, type KeyStore, type ScopePolicy } from "@portcullis/core";

export const SECRET = "test-secret-0123456789abcdefghijklmnop";
export const PREFIX = "cpx_live.";
/** 2025-01-01T00:00:00Z: every test clock starts here. */
export const T0 = Date.UTC(2025, 0, 1);
export const SECOND = 1000;
export const DAY = 24 * 60 * 60 * SECOND;

/** A MemoryKeyStore that counts digest lookups, to show which checks never reach the store. */
export class CountingKeyStore extends MemoryKeyStore {
  findByDigestCalls = 0;

  override async findByDigest(digest: string) {
    this.findByDigestCalls++;
    return super.findByDigest(digest);
  }
}

/** An ApiKeys on its own store, with a clock the test moves by hand. */
export function createKeys<S extends KeyStore = MemoryKeyStore>(options: { store?: S; scopes?: ScopePolicy } = {}) {
  let time = T0;
  const store = options.store ?? (new MemoryKeyStore() as KeyStore as S);
  const keys = new ApiKeys({
    store,
    secret: SECRET,
    prefix: PREFIX,
    now: () => time,
    ...(options.scopes ? { scopes: options.scopes } : {}),
  });
  const clock = {
    get now() {
      return time;
    },
    advance(ms: number) {
      time += ms;
    },
  };
  return { keys, store, clock };
}

/** Awaits `promise`, expecting it to reject with a PortcullisError, and returns that error. */
export async function rejection(promise: Promise<unknown>): Promise<PortcullisError> {
  const error: unknown = await promise.then(
    () => {
      throw new Error("expected a PortcullisError, but the promise resolved");
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(PortcullisError);
  return error as PortcullisError;
}
