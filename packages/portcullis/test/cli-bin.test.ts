/**
 * The `portcullis` command is linked and runs in a checkout: npm links package.json's `bin` when it
 * installs, before the first build, so the bin is a committed, executable shim that loads the built
 * CLI. (pack-install.test.ts runs it from an installed tarball.)
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "../../..");
const SHIM = "packages/portcullis/bin/portcullis.js";

test("package.json's bin is the committed shim, not a build output", () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, "packages/portcullis/package.json"), "utf8")) as { bin: Record<string, string>; files: string[] };
  expect(manifest.bin).toEqual({ portcullis: "bin/portcullis.js" });
  expect(manifest.files).toContain("bin");
  expect(readFileSync(join(ROOT, SHIM), "utf8")).toMatch(/^#!\/usr\/bin\/env node\n/);
});

test("the shim is executable in git, so a clone checks it out executable", () => {
  const entry = execFileSync("git", ["ls-files", "-s", "--", SHIM], { cwd: ROOT, encoding: "utf8" });
  expect(entry).toMatch(new RegExp(`^100755 [0-9a-f]+ 0\\t${SHIM}\\n$`));
});

test("node_modules/.bin/portcullis --help works from the repository root after the build", () => {
  const linked = join(ROOT, "node_modules/.bin/portcullis");
  if (!existsSync(join(ROOT, "packages/portcullis/dist/cli/main.js"))) throw new Error("run `npm run build` (the root `npm test` does) first");
  if (!existsSync(linked)) throw new Error(`${linked} is missing: npm links it at install; run \`npm install\` once after pulling this change`);
  const help = execFileSync(linked, ["--help"], { cwd: ROOT, encoding: "utf8" });
  expect(help).toMatch(/^Usage: portcullis <command>/);
  expect(help).toMatch(/keys create/);
});

test("before the build, the command says to run it and exits 1", () => {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-bin-"));
  try {
    mkdirSync(join(dir, "bin"));
    copyFileSync(join(ROOT, SHIM), join(dir, "bin", "portcullis.js"));
    const run = spawnSync(process.execPath, [join(dir, "bin", "portcullis.js"), "--help"], { encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("portcullis: the CLI is not built yet: run `npm run build` at the root of the portcullis checkout\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
