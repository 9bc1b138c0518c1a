import { ApiKeys } from "@portcullis/core";
import { RedisKeyStore } from "@portcullis/redis";
import { keysPerMaster, useRedisCluster } from "@portcullis/testing";
import { runCli } from "../src/cli/run-cli";

const cluster = useRedisCluster();
const SECRET = "cli-cluster-secret-0123456789abcdefghijk";

async function cli(argv: string[], env: Record<string, string>) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, env, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

test("with PORTCULLIS_REDIS_CLUSTER the CLI reaches every master through one node: keys it makes and revokes hold on the server", async () => {
  const port = cluster().ports[1]!; // any one master will do
  const env = { REDIS_URL: `redis://127.0.0.1:${port}`, PORTCULLIS_SECRET: SECRET, PORTCULLIS_REDIS_CLUSTER: "true", PORTCULLIS_REDIS_PREFIX: "clicl:" };
  const client = cluster().client();
  const store = new RedisKeyStore(client, { prefix: "clicl:" });
  const server = new ApiKeys({ store, secret: SECRET, prefix: "pk_live_", cache: false });

  // Enough keys that their hashes land on other masters than the node named.
  const made: { key: string; key_id: string }[] = [];
  for (let i = 0; i < 12; i++) {
    const run = await cli(["keys", "create", "--owner", "ops", "--name", `k${i}`, "--scopes", "read", "--json"], env);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    made.push(JSON.parse(run.stdout));
  }
  for (const { key } of made) expect((await server.verify(key)).ok).toBe(true);
  expect((await keysPerMaster(client, "clicl:key:*")).filter((count) => count > 0).length).toBeGreaterThan(1);

  const listed = await cli(["keys", "list", "--owner", "ops", "--json"], env);
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain(made[11]!.key_id);
  expect((await cli(["keys", "revoke", made[3]!.key_id], env)).code).toBe(0);
  expect(await server.verify(made[3]!.key)).toMatchObject({ ok: false, code: "revoked_key" });
  await store.close();
});

test("a database number with PORTCULLIS_REDIS_CLUSTER is refused: a Cluster has only database 0", async () => {
  const port = cluster().ports[0]!;
  const run = await cli(["keys", "list", "--owner", "o"], { REDIS_URL: `redis://127.0.0.1:${port}/2`, PORTCULLIS_SECRET: SECRET, PORTCULLIS_REDIS_CLUSTER: "true" });
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/a Redis Cluster has only database 0/);
});
