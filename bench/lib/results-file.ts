import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** BENCHMARKS.md at the repository root; each driver owns one section of it. */
export const RESULTS_FILE = join(__dirname, "..", "..", "BENCHMARKS.md");

const INTRO = `# Benchmarks

Measured by the suite in \`bench/\` (see bench/README.md): \`npm run bench\` rebuilds the packages
and rewrites the first two sections below; \`npm run bench:http\`, \`npm run bench:scale\` and
\`npm run bench:instructions\` rewrite one each (\`BENCH_SCALE_STORE=postgres npm run bench:scale\` the
PostgreSQL scale section); \`npm run soak\` rewrites the soak section.
Numbers depend on the machine each section names; compare rows within a section, not across machines.
`;

const SECTIONS = ["http", "scale", "scale-postgres", "instructions", "soak"] as const;
const markers = (section: string) => ({ start: `<!-- ${section}:start -->`, end: `<!-- ${section}:end -->` });
/** A new file: the intro and every section, empty, in their order. */
const NEW_FILE = [INTRO, ...SECTIONS.map((section) => `${markers(section).start}\n${markers(section).end}\n`)].join("\n");

/**
 * Replaces one section (between `<!-- name:start -->` and `<!-- name:end -->`), leaving the rest
 * of the file as it was; creates the file, or appends the section, when missing.
 */
export function writeResultsSection(section: (typeof SECTIONS)[number], body: string, file = RESULTS_FILE): void {
  const { start, end } = markers(section);
  const block = `${start}\n${body.trim()}\n${end}`;
  const current = existsSync(file) ? readFileSync(file, "utf8") : NEW_FILE;
  const from = current.indexOf(start);
  const to = current.indexOf(end, from);
  const next =
    from !== -1 && to !== -1
      ? current.slice(0, from) + block + current.slice(to + end.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
