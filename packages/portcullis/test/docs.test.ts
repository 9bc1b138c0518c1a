/**
 * The documentation stays true: every relative link in the root README, docs/ and the package
 * READMEs reaches a file (and a heading, for an anchor), the root README's JavaScript and
 * TypeScript blocks type-check against the workspace sources, and the error table lists every
 * code core knows.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import * as ts from "typescript";
import { ERROR_CODES } from "@portcullis/core";

const ROOT = resolve(__dirname, "../../..");

/** The Markdown files whose links are checked, relative to the repository root. */
function markdownFiles(): string[] {
  const files = ["README.md", "BENCHMARKS.md", "bench/README.md"];
  for (const name of readdirSync(join(ROOT, "docs"))) if (name.endsWith(".md")) files.push(`docs/${name}`);
  for (const name of readdirSync(join(ROOT, "packages"))) {
    if (existsSync(join(ROOT, "packages", name, "README.md"))) files.push(`packages/${name}/README.md`);
  }
  return files;
}

/** The text outside fenced code blocks and inline code spans, where links live. */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```[ \t]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** The fenced blocks of the given languages, in order. */
function codeBlocks(markdown: string, languages: readonly string[]): { language: string; code: string; line: number }[] {
  const blocks: { language: string; code: string; line: number }[] = [];
  for (const match of markdown.matchAll(/^```([a-z]*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm)) {
    const language = match[1]!;
    if (languages.includes(language)) {
      blocks.push({ language, code: match[2]!, line: markdown.slice(0, match.index).split("\n").length });
    }
  }
  return blocks;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const text = readFileSync(file, "utf8").replace(/^```[^\n]*\n[\s\S]*?^```[ \t]*$/gm, "");
  for (const match of text.matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)) {
    const base = slug(match[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Every relative link target of a Markdown file: `[text](target)`, images included. */
function relativeLinks(markdown: string): string[] {
  const targets: string[] = [];
  for (const match of prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = match[1]!;
    if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) targets.push(target);
  }
  return targets;
}

describe("links in the documentation", () => {
  const files = markdownFiles();

  it("finds the documents it checks", () => {
    expect(files).toEqual(expect.arrayContaining(["README.md", "docs/errors.md", "packages/core/README.md"]));
  });

  it.each(files)("%s: every relative link reaches a file, and an anchor a heading", (file) => {
    const path = join(ROOT, file);
    const broken: string[] = [];
    for (const target of relativeLinks(readFileSync(path, "utf8"))) {
      const [pathPart = "", anchor] = target.split("#", 2);
      const destination = pathPart === "" ? path : resolve(dirname(path), decodeURIComponent(pathPart));
      if (relative(ROOT, destination).startsWith("..") || !existsSync(destination)) {
        broken.push(`${target} (no such file in the repository)`);
        continue;
      }
      if (anchor !== undefined && anchor !== "") {
        if (!statSync(destination).isFile() || !destination.endsWith(".md") || !anchorsOf(destination).has(anchor)) {
          broken.push(`${target} (no heading with that anchor)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it.each(files)("%s: names no path of one machine", (file) => {
    const text = readFileSync(join(ROOT, file), "utf8");
    expect(text).not.toMatch(/\.\.\/shared|\/work\/|\/tmp\/briefs|\/home\/[a-z]/);
  });

  it("the link checker itself sees links, anchors and code", () => {
    expect(relativeLinks("[a](docs/x.md#y) ![b](img.png) [c](https://e.org) `[d](nope.md)`")).toEqual(["docs/x.md#y", "img.png"]);
    expect(slug("`apiKeyAuth(options)`")).toBe("apikeyauthoptions");
    expect(slug("Cookies behind a proxy")).toBe("cookies-behind-a-proxy");
  });
});

describe("the error table", () => {
  it("docs/errors.md has one row for every code of ERROR_CODES, with its status", () => {
    const text = readFileSync(join(ROOT, "docs/errors.md"), "utf8");
    const rows = new Map<string, string>();
    for (const match of text.matchAll(/^\| `([a-z_]+)` \| ([^|]+) \|/gm)) rows.set(match[1]!, match[2]!.trim());
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      if (code !== "request_refused") expect([code, rows.get(code)]).toEqual([code, String(status)]);
    }
  });
});

describe("the root README's code", () => {
  const options = (() => {
    const config = ts.readConfigFile(join(ROOT, "tsconfig.json"), ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
    return { ...parsed.options, allowJs: true, checkJs: true, noEmit: true, noUnusedLocals: false, types: ["node"] };
  })();

  /** Type-checks each snippet as a file of its own at the repository root, as a user's app. */
  function diagnose(snippets: { language: string; code: string }[]): string[][] {
    const virtual = new Map(snippets.map((snippet, i) => [join(ROOT, `readme-block-${i}.${snippet.language === "ts" ? "ts" : "js"}`), snippet.code]));
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, language, onError, create) => {
      const text = virtual.get(resolve(name));
      return text === undefined ? getSourceFile(name, language, onError, create) : ts.createSourceFile(name, text, language);
    };
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => virtual.has(resolve(name)) || fileExists(name);
    const readFile = host.readFile.bind(host);
    host.readFile = (name) => virtual.get(resolve(name)) ?? readFile(name);
    const program = ts.createProgram([...virtual.keys()], options, host);
    return [...virtual.keys()].map((name) => {
      const file = program.getSourceFile(name)!;
      return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)].map((d) => {
        const at = d.start === undefined ? "" : `line ${file.getLineAndCharacterOfPosition(d.start).line + 1}: `;
        return at + ts.flattenDiagnosticMessageText(d.messageText, "\n");
      });
    });
  }

  const blocks = codeBlocks(readFileSync(join(ROOT, "README.md"), "utf8"), ["js", "ts"]);
  // Snippets that must fail, checked in the same program so the sources are read once.
  const wrong = [
    { language: "js", code: 'const { apiKeyAuth, noSuchExport } = require("portcullis");\nnoSuchExport(apiKeyAuth);\n' },
    { language: "ts", code: 'import { ApiKeys } from "portcullis";\nnew ApiKeys({ secret: 42 });\n' },
    { language: "js", code: 'const { ScopePolicy } = require("portcullis");\nnew ScopePolicy({ known: ["read"] });\n' },
  ];
  let results: string[][] = [];
  beforeAll(() => {
    results = diagnose([...blocks, ...wrong]);
  });

  it("has a quick start to check", () => {
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.some((block) => block.code.includes('require("portcullis")'))).toBe(true);
  });

  it("type-checks every ```js and ```ts block against the workspace packages", () => {
    const failures = blocks.flatMap((block, i) => results[i]!.map((message) => `README.md block at line ${block.line}, ${message}`));
    expect(failures).toEqual([]);
  });

  it("would catch a block that uses an export portcullis does not have, or misuses one", () => {
    const [missing, misused, fine] = results.slice(blocks.length);
    expect(missing!.join("\n")).toMatch(/noSuchExport/);
    expect(misused!.length).toBeGreaterThan(0);
    expect(fine).toEqual([]);
  });
});

describe("the umbrella's exports", () => {
  test("the root README lists every runtime name the portcullis package exports, and no other", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const start = readme.indexOf("`portcullis` itself exports by name");
    const section = readme.slice(start, readme.indexOf("with the option and record types", start));
    const listed = [...section.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((match) => match[1]!).filter((name) => name !== "portcullis");
    const exported = Object.keys(jest.requireActual<object>("portcullis")).filter((name) => name !== "__esModule");
    expect(start).toBeGreaterThan(0);
    expect([...listed].sort()).toEqual([...exported].sort());
    expect(section).toContain(`${exported.length} runtime names`);
  });
});
