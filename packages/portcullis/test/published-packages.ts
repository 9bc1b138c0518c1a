import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The repository root. */
export const ROOT = resolve(__dirname, "../../..");

/** What the packaging tests read of a package.json. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

export interface PublishedPackage {
  /** Relative to the repository root, as in the root package.json's workspaces. */
  readonly dir: string;
  readonly manifest: Manifest;
}

/** Every workspace under packages/ that is not private: what `npm run pack` and a release publish. */
export function publishedPackages(): PublishedPackage[] {
  const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] };
  return root.workspaces
    .filter((dir) => dir.startsWith("packages/"))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(ROOT, dir, "package.json"), "utf8")) as Manifest }))
    .filter(({ manifest }) => manifest.private !== true);
}
