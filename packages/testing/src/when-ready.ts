import type { Cluster, Redis } from "ioredis";

/**
 * The client once it is ready. Until then, limiters count in their memory insurance and stores
 * fail fast, so a test that means Redis waits for it.
 *
 * @example
 * const client = await whenReady(cluster().client());
 */
export async function whenReady<Client extends Redis | Cluster>(client: Client): Promise<Client> {
  if (client.status !== "ready") await new Promise((resolve) => client.once("ready", resolve));
  return client;
}
