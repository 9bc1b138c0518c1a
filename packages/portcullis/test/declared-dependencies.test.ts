/**
 * Every published package declares what it imports, so it works installed on its own rather than
 * only beside the monorepo's hoisted node_modules: each module its sources import, and the
 * `@types` package of each module its emitted declarations (dist/*.d.ts) use without shipping types
 * of their own, since an app that type-checks libraries (`skipLibCheck: false`) loads them.
 * Node's built-in modules are the exception.
 */
import { builtinModules } from "node:module";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import * as ts from "typescript";
import { ROOT, publishedPackages, type Manifest } from "./published-packages";

const PACKAGES = publishedPackages();

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(dir, name));
}

/** The module specifiers a file imports, exports from or references, comments excluded. */
function specifiersOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return [...info.importedFiles, ...info.typeReferenceDirectives].map((reference) => reference.fileName);
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith("node:") || builtinModules.includes(specifier.split("/")[0]!) || specifier === "node";
}

/** The npm package a bare specifier names: `@scope/name` or `name`, without its subpath. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("/") || isBuiltin(specifier)) return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function declaredBy(manifest: Manifest): Set<string> {
  return new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
}

/** Packages imported by the .ts sources under src/, each with the files that import it. */
function sourceImports(dir: string): Map<string, string[]> {
  const imports = new Map<string, string[]>();
  for (const file of filesUnder(join(ROOT, dir, "src"), ".ts")) {
    for (const name of specifiersOf(file).map(packageOf)) {
      if (name !== undefined) imports.set(name, [...new Set([...(imports.get(name) ?? []), relative(ROOT, file)])]);
    }
  }
  return imports;
}

const resolution: ts.CompilerOptions = { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 };

/**
 * The `@types` packages the emitted declarations need: for each bare module they use, where
 * TypeScript finds its types from there. Resolved from the package's own dist/, as an app would.
 */
function typesPackagesNeeded(dir: string): Map<string, string> {
  const needed = new Map<string, string>();
  for (const file of filesUnder(join(ROOT, dir, "dist"), ".d.ts")) {
    for (const specifier of specifiersOf(file)) {
      if (packageOf(specifier) === undefined) continue;
      const { resolvedModule } = ts.resolveModuleName(specifier, file, resolution, ts.sys);
      const match = resolvedModule?.resolvedFileName.match(/\/node_modules\/(@types\/[^/]+)\//);
      if (match) needed.set(match[1]!, `${relative(ROOT, file)} uses "${specifier}"`);
      else if (!resolvedModule) needed.set(`(no types found for "${specifier}")`, relative(ROOT, file));
    }
  }
  return needed;
}

test("the published packages are the ones the packaging tests expect", () => {
  expect(PACKAGES.map((p) => p.manifest.name).sort()).toEqual(
    ["@portcullis/api-key-auth", "@portcullis/api-keys-router", "@portcullis/core", "@portcullis/email", "@portcullis/login-rate-limit", "@portcullis/mfa", "@portcullis/oauth", "@portcullis/postgres", "@portcullis/redact-response", "@portcullis/redis", "@portcullis/require-scope", "@portcullis/session-auth", "portcullis"],
  );
});

test("the checks see imports, type references and subpaths, and not comments", () => {
  expect(packageOf("@portcullis/core/internal")).toBe("@portcullis/core");
  expect(packageOf("lru-cache")).toBe("lru-cache");
  expect(packageOf("node:fs")).toBeUndefined();
  expect(packageOf("fs/promises")).toBeUndefined();
  expect(packageOf("./session-data")).toBeUndefined();
  const info = ts.preProcessFile(`/// <reference types="d" />\n/** require("in-a-comment") */\nimport type { A } from "a";\nexport { B } from "b/sub";\nconst c = import("c");`, true, true);
  expect([...info.importedFiles, ...info.typeReferenceDirectives].map((r) => r.fileName).sort()).toEqual(["a", "b/sub", "c", "d"]);
});

describe.each(PACKAGES.map((p) => [p.manifest.name, p] as const))("%s", (name, { dir, manifest }) => {
  test("declares every package its sources import", () => {
    const declared = declaredBy(manifest);
    const undeclared = [...sourceImports(dir)].filter(([imported]) => imported !== name && !declared.has(imported));
    expect(undeclared.map(([imported, files]) => `${imported} (imported by ${files.join(", ")})`)).toEqual([]);
  });

  test("declares the @types package of every untyped module its emitted declarations use", () => {
    const declared = declaredBy(manifest);
    const missing = [...typesPackagesNeeded(dir)].filter(([types]) => !declared.has(types));
    expect(missing.map(([types, where]) => `${types}: ${where}`)).toEqual([]);
  });

  test("depends on nothing it does not use", () => {
    const imported = new Set(sourceImports(dir).keys());
    const unused = Object.keys(manifest.dependencies ?? {}).filter((dependency) => {
      const typed = dependency.match(/^@types\/(?:([^_]+)__)?(.+)$/);
      const module = typed ? (typed[1] ? `@${typed[1]}/${typed[2]}` : typed[2]!) : dependency;
      return !imported.has(module);
    });
    expect(unused).toEqual([]);
  });
});
