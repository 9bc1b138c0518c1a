/**
 * The Plexe page's two Python scripts (seed-snippets/), byte for byte from the page, run against
 * the example with only the base URL changed: "https://api.plexe.ai" becomes the example's address.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pythonWithRequests, runCommand, startExampleServer, type ExampleServer } from "@portcullis/testing";

let server: ExampleServer;
let work = "";
let firstKey = "";

/** The script with Plexe's base URL replaced by the example's, and nothing else changed. */
function script(name: string): string {
  const text = readFileSync(resolve(__dirname, "../seed-snippets", name), "utf8").replaceAll("https://api.plexe.ai", server.baseUrl);
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

const python = (name: string, apiKey: string) => runCommand(pythonWithRequests(), [script(name)], { env: { PLEXE_API_KEY: apiKey } });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "portcullis-plexe-"));
  server = await startExampleServer(resolve(__dirname, "../server.js"), "export PLEXE_API_KEY=");
  firstKey = /export PLEXE_API_KEY=(plx_sk_\w+)/.exec(server.output())![1]!;
}, 30_000);

afterAll(() => {
  server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test("the authentication example finds the models with the key from PLEXE_API_KEY", () => {
  expect(python("authenticate.py", firstKey).trim()).toBe("Success! Found 1 models");
  expect(python("authenticate.py", "plx_sk_12345abcdef67890ghijklmnop").trim()).toBe("Authentication failed: Invalid or expired API key");
});

test("after the README's Plexe steps, the rotation script ends with 'Old key successfully revoked' and the old key is then refused", async () => {
  // The README's steps first: a key created, listed and revoked, so the listing holds a revoked key.
  const call = (method: string, path: string, body?: object) =>
    fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { "x-api-key": firstKey, ...(body ? { "Content-Type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const reporting = await (await call("POST", "/auth/api-keys", { name: "reporting", permission_level: "read_only" })).json();
  expect((await call("GET", "/auth/api-keys")).status).toBe(200);
  expect((await call("DELETE", `/auth/api-keys/${reporting.key_id}`)).status).toBe(200);

  const lines = python("rotate_key.py", firstKey).trim().split("\n");
  expect(lines[0]).toMatch(/^Created new API key with ID: key_[0-9A-Za-z]{16}$/);
  expect(lines.slice(1)).toEqual(["New key verified working!", "Old key successfully revoked"]);
  const refused = await fetch(`${server.baseUrl}/models`, { headers: { "x-api-key": firstKey } });
  expect(refused.status).toBe(401);
  expect(await refused.json()).toEqual({ error: "revoked_key", detail: "The API key has been revoked." });
});
