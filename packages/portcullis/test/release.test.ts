/**
 * The release flow (docs/releasing.md) works before anyone publishes: every published package
 * carries complete metadata, changesets versions them together, and `npm publish --dry-run` passes
 * for each, offline and without a login, packing no tests, build info or API reports.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { ROOT, publishedPackages, type Manifest } from "./published-packages";

const PACKAGES = publishedPackages();
const NAMES = PACKAGES.map((p) => p.manifest.name);
const ROOT_MANIFEST = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Manifest & { workspaces: string[]; engines: { node: string } };

async function run(command: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await promisify(execFile)(command, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: "false" } });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout}${stderr}`);
  }
}

describe.each(PACKAGES.map((p) => [p.manifest.name, p] as const))("%s's package.json", (name, { dir, manifest }) => {
  test("says what it is, where its source lives, what it runs on and that it has no side effects", () => {
    expect(manifest.description).toEqual(expect.any(String));
    expect(manifest.license).toBe("MIT");
    expect(manifest.keywords).toEqual(expect.arrayContaining(["portcullis"]));
    // No public address exists for the repository yet: the directory, no invented URL.
    expect(manifest.repository).toEqual({ type: "git", directory: dir });
    expect(manifest.engines).toEqual(ROOT_MANIFEST.engines);
    // The umbrella's CLI entry points run on load; nothing else does.
    expect(manifest.sideEffects).toEqual(name === "portcullis" ? ["./bin/portcullis.js", "./dist/cli/main.js"] : false);
    expect(manifest.files).toEqual(expect.arrayContaining(["dist", "README.md", "CHANGELOG.md"]));
    expect(existsSync(join(ROOT, dir, "README.md"))).toBe(true);
  });

  test("publishes publicly, at the version every published package shares", () => {
    if (name.startsWith("@")) expect(manifest.publishConfig).toEqual({ access: "public" });
    expect(manifest.version).toBe(PACKAGES[0]!.manifest.version);
    // Exact pins: the packages are released together, so they are installed together.
    for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
      if (NAMES.includes(dependency)) expect([dependency, range]).toEqual([dependency, manifest.version]);
    }
  });
});

test("the changesets config releases the published packages together, publicly", () => {
  const config = JSON.parse(readFileSync(join(ROOT, ".changeset/config.json"), "utf8")) as { fixed: string[][]; access: string; privatePackages: object };
  expect(config.fixed.map((group) => [...group].sort())).toEqual([[...NAMES].sort()]);
  expect(config.access).toBe("public");
  expect(config.privatePackages).toEqual({ version: false, tag: false });
});

test("changeset version bumps every published package and its pins together, and writes their changelogs", async () => {
  // A copy of the workspace manifests and the changesets config, so the real ones stay untouched.
  const work = mkdtempSync(join(tmpdir(), "portcullis-changeset-"));
  try {
    const manifests = ROOT_MANIFEST.workspaces.flatMap((pattern) =>
      pattern.endsWith("/*") ? readdirSync(join(ROOT, dirname(pattern))).map((name) => `${dirname(pattern)}/${name}/package.json`) : [`${pattern}/package.json`],
    );
    for (const file of ["package.json", ".changeset/config.json", ...manifests.filter((file) => existsSync(join(ROOT, file)))]) {
      mkdirSync(dirname(join(work, file)), { recursive: true });
      cpSync(join(ROOT, file), join(work, file));
    }
    writeFileSync(join(work, ".changeset/fix-core.md"), `---\n"@portcullis/core": patch\n---\n\nA fix in core.\n`);
    await run(process.execPath, [join(ROOT, "node_modules/@changesets/cli/bin.js"), "version"], work);

    const bumped = PACKAGES[0]!.manifest.version.replace(/\d+$/, (patch) => String(Number(patch) + 1));
    for (const { dir } of PACKAGES) {
      const after = JSON.parse(readFileSync(join(work, dir, "package.json"), "utf8")) as Manifest;
      expect([after.name, after.version]).toEqual([after.name, bumped]);
      for (const [dependency, range] of Object.entries(after.dependencies ?? {})) {
        if (NAMES.includes(dependency)) expect([after.name, dependency, range]).toEqual([after.name, dependency, bumped]);
      }
      expect(readFileSync(join(work, dir, "CHANGELOG.md"), "utf8")).toContain(`## ${bumped}`);
    }
    expect(readFileSync(join(work, "packages/core/CHANGELOG.md"), "utf8")).toContain("- A fix in core.");
    const testing = JSON.parse(readFileSync(join(work, "packages/testing/package.json"), "utf8")) as Manifest;
    expect(testing.version).toBe(JSON.parse(readFileSync(join(ROOT, "packages/testing/package.json"), "utf8")).version);
    expect(existsSync(join(work, ".changeset/fix-core.md"))).toBe(false);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

describe("npm publish --dry-run", () => {
  interface Packed {
    files: { path: string; mode: number }[];
  }
  let packed: Record<string, Packed> = {};
  let warnings = "";

  beforeAll(async () => {
    for (const { dir } of PACKAGES) {
      if (!existsSync(join(ROOT, dir, "dist/index.js"))) throw new Error(`${dir}/dist is missing: run \`npm run build\` (the root \`npm test\` does) first`);
    }
    // --offline: the dry run must not depend on the registry being reachable, nor on a login.
    const { stdout, stderr } = await run("npm", ["publish", "--dry-run", "--offline", "--json", ...PACKAGES.map((p) => `--workspace=${p.dir}`)], ROOT);
    packed = JSON.parse(stdout) as Record<string, Packed>;
    warnings = stderr;
  }, 120_000);

  test("passes for every published package, needing no login", () => {
    expect(Object.keys(packed).sort()).toEqual([...NAMES].sort());
    // npm notes that a real publish would need a login, and goes on: a warning, not an error.
    expect(warnings).not.toMatch(/npm error|ERR!/);
    expect(warnings).not.toMatch(/auto-corrected|invalid and removed/);
  });

  test.each(NAMES)("%s packs its build, sources and README, and no tests, build info or API reports", (name) => {
    const paths = packed[name]!.files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "src/index.ts"]));
    const unwanted = paths.filter((path) => /(^|\/)test\/|\.test\.|\.spec\.|tsbuildinfo|(^|\/)api\/|\.api\.md$|tsconfig|api-extractor/.test(path));
    expect(unwanted).toEqual([]);
  });

  test("the umbrella's command is packed executable", () => {
    const bin = packed["portcullis"]!.files.find((file) => file.path === "bin/portcullis.js");
    expect(bin && (bin.mode & 0o111) === 0o111).toBe(true);
  });
});
