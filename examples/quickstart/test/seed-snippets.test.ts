/**
 * The CorePlexML page's own curl and Python snippets (seed-snippets/), run with real curl and a
 * real Python against the example server started as `npm run example` starts it, on a free port.
 * The root `npm test` builds first, so the server runs on the built packages.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const EXAMPLE = resolve(__dirname, "..");
const SNIPPETS = join(EXAMPLE, "seed-snippets");
let server: ChildProcess;
let baseUrl = "";
let work = "";

/** A Python that has `requests`: the one on the PATH, or Debian's (`apt-get install python3-requests`). */
function pythonWithRequests(): string {
  for (const python of ["python3", "/usr/bin/python3"]) {
    if (spawnSync(python, ["-c", "import requests"]).status === 0) return python;
  }
  throw new Error("no python3 with the requests module: install it with `apt-get install python3-requests` (.ci/run does)");
}

function run(command: string, args: string[], env: Record<string, string> = {}): string {
  const result = spawnSync(command, args, { cwd: work, encoding: "utf8", env: { ...process.env, BASE_URL: baseUrl, ...env } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "portcullis-seed-"));
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, [join(EXAMPLE, "server.js")], {
    env: { ...process.env, PORT: String(port), PORTCULLIS_ADMIN_EMAIL: "you@example.com", PORTCULLIS_ADMIN_PASSWORD: "your-password", REDIS_URL: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((ready, fail) => {
    let output = "";
    server.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("quick start on")) ready();
    });
    server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    server.once("exit", (code) => fail(new Error(`the example server exited with ${code}:\n${output}`)));
  });
}, 30_000);

afterAll(() => {
  server?.kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

test("the curl flow as written: login with -c cookies.txt, create a key with -b cookies.txt, call the API with the Bearer key", () => {
  const login = JSON.parse(run("bash", [join(SNIPPETS, "login.sh")]));
  expect(login.user.email).toBe("you@example.com");
  const created = JSON.parse(run("bash", [join(SNIPPETS, "create-key.sh")]));
  expect(created.key).toMatch(/^cpx_live\.[0-9A-Za-z]{38}$/);
  expect(created.scopes).toEqual(["read", "write", "predict"]);
  const projects = JSON.parse(run("bash", [join(SNIPPETS, "list-projects.sh")], { API_KEY: created.key }));
  expect(projects).toEqual([{ id: "p1", name: "Churn model" }]);
});

test("the Python requests.Session() example signs in and reads the projects with the cookie", () => {
  expect(run(pythonWithRequests(), [join(SNIPPETS, "session_requests.py")]).trim()).toBe("200 [{'id': 'p1', 'name': 'Churn model'}]");
});

test("the Python requests example with the Bearer header reads the projects, and a made-up key is refused", () => {
  const python = pythonWithRequests();
  run("bash", [join(SNIPPETS, "login.sh")]);
  const { key } = JSON.parse(run("bash", [join(SNIPPETS, "create-key.sh")]));
  expect(run(python, [join(SNIPPETS, "bearer_requests.py")], { API_KEY: key }).trim()).toBe("200 [{'id': 'p1', 'name': 'Churn model'}]");
  expect(run(python, [join(SNIPPETS, "bearer_requests.py")], { API_KEY: "cpx_live.abc123def456" }).trim()).toBe(
    "401 {'error': 'invalid_key', 'detail': 'Invalid or expired API key.'}",
  );
});
