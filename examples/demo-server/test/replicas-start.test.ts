/** Replicas of the demo started at the same moment on one Redis, as an orchestrator starts them. */
import { startExampleServer, useRedisServer, type ExampleServer } from "@portcullis/testing";
import { resolve } from "node:path";

const redis = useRedisServer();
const demos: ExampleServer[] = [];
afterAll(() => demos.forEach((demo) => demo.stop()));

test("three demo processes started at once all come up with one admin: its creator prints the generated password, the others say it exists", async () => {
  const env = {
    REDIS_URL: redis().url,
    PORTCULLIS_SECRET: "s".repeat(40),
    SESSION_SECRET: "t".repeat(40),
    MFA_ENCRYPTION_KEY: "m".repeat(40),
    PORTCULLIS_ADMIN_EMAIL: "admin@example.com", // no password: the creator generates one
  };
  const started = await Promise.allSettled([1, 2, 3].map(() => startExampleServer(resolve(__dirname, "../server.js"), "portcullis demo on", env)));
  for (const outcome of started) if (outcome.status === "fulfilled") demos.push(outcome.value);
  expect(started.map((outcome) => (outcome.status === "fulfilled" ? "up" : String(outcome.reason)))).toEqual(["up", "up", "up"]);

  const outputs = demos.map((demo) => demo.output());
  const passwords = outputs.flatMap((output) => /^Admin: admin@example\.com \/ (\S+) {2}\(generated, shown once\)$/m.exec(output)?.[1] ?? []);
  expect(passwords).toHaveLength(1);
  expect(outputs.filter((output) => /^Admin: admin@example\.com exists already$/m.test(output))).toHaveLength(2);

  const client = redis().client();
  expect(await client.keys("portcullis:user-email:*")).toEqual(["portcullis:user-email:admin@example.com"]);
  expect(await client.keys("portcullis:user:*")).toHaveLength(1); // the others' records went with their refused claims
  for (const demo of demos) {
    const login = await fetch(`${demo.baseUrl}/api/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: "admin@example.com", password: passwords[0] }),
    });
    expect(login.status).toBe(200);
  }
}, 60_000);
