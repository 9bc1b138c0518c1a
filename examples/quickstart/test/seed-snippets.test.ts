/**
 * The CorePlexML page's own curl and Python snippets (seed-snippets/), run with real curl and a
 * real Python against the example server started as `npm run example` starts it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pythonWithRequests, runCommand, startExampleServer, type ExampleServer } from "@portcullis/testing";

const SNIPPETS = resolve(__dirname, "../seed-snippets");
let server: ExampleServer;
let work = "";

const run = (command: string, file: string, env: Record<string, string> = {}) =>
  runCommand(command, [join(SNIPPETS, file)], { cwd: work, env: { BASE_URL: server.baseUrl, ...env } });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "portcullis-seed-")); // curl's cookies.txt lands here
  server = await startExampleServer(resolve(__dirname, "../server.js"), "quick start on", {
    PORTCULLIS_ADMIN_EMAIL: "you@example.com",
    PORTCULLIS_ADMIN_PASSWORD: "your-password",
  });
}, 30_000);

afterAll(() => {
  server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test("the curl flow as written: login with -c cookies.txt, create a key with -b cookies.txt, call the API with the Bearer key", () => {
  expect(JSON.parse(run("bash", "login.sh")).user.email).toBe("you@example.com");
  const created = JSON.parse(run("bash", "create-key.sh"));
  expect(created.key).toMatch(/^cpx_live\.[0-9A-Za-z]{38}$/);
  expect(created.scopes).toEqual(["read", "write", "predict"]);
  expect(JSON.parse(run("bash", "list-projects.sh", { API_KEY: created.key }))).toEqual([{ id: "p1", name: "Churn model" }]);
});

test("the Python requests.Session() example signs in and reads the projects with the cookie", () => {
  expect(run(pythonWithRequests(), "session_requests.py").trim()).toBe("200 [{'id': 'p1', 'name': 'Churn model'}]");
});

test("the Python requests example with the Bearer header reads the projects, and a made-up key is refused", () => {
  const python = pythonWithRequests();
  run("bash", "login.sh");
  const { key } = JSON.parse(run("bash", "create-key.sh"));
  expect(run(python, "bearer_requests.py", { API_KEY: key }).trim()).toBe("200 [{'id': 'p1', 'name': 'Churn model'}]");
  expect(run(python, "bearer_requests.py", { API_KEY: "cpx_live.abc123def456" }).trim()).toBe(
    "401 {'error': 'invalid_key', 'detail': 'Invalid API key.'}",
  );
});
