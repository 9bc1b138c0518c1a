import { open, opendir, stat } from "node:fs/promises";
import { join } from "node:path";
import { messageOf } from "./cli-error";

/** Files larger than this are skipped: keys live in source and config, not in data dumps or bundles. */
export const MAX_SCANNED_BYTES = 5 * 1024 * 1024;
/** Directories a walk never enters (a path named on the command line is still read). */
export const SKIPPED_DIRECTORIES: readonly string[] = [".git", "node_modules"];
/** A NUL byte in this many first bytes makes a file binary, as git decides. */
const BINARY_SNIFF_BYTES = 8000;
/** How `portcullis scan` names its standard input in findings. */
export const STDIN_PATH = "<stdin>";

/** One thing a scan came across: a text to search, or why it was left out. */
export type ScanSource =
  | { readonly kind: "text"; readonly path: string; readonly text: string }
  /** Left out on purpose (binary, too large, a symbolic link): said with --verbose. */
  | { readonly kind: "skipped"; readonly path: string; readonly reason: string }
  /** Could not be read: always said, and the scan cannot pass. */
  | { readonly kind: "unreadable"; readonly path: string; readonly reason: string };

/**
 * The texts under `paths`, in order, each directory walked in name order. `-` is standard input.
 * A walk enters neither `.git` nor `node_modules` and follows no symbolic link, so it never leaves
 * the tree it was given (as `grep -r`, a link named on the command line is followed).
 *
 * @example
 * for await (const source of scanSources(["."], () => readAll(process.stdin))) …
 */
export async function* scanSources(paths: readonly string[], readStdin: () => Promise<string>): AsyncGenerator<ScanSource> {
  for (const path of paths) {
    if (path === "-") {
      yield { kind: "text", path: STDIN_PATH, text: await readStdin() };
      continue;
    }
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      yield { kind: "unreadable", path, reason: reasonOf(error) };
      continue;
    }
    // Opening a FIFO or a device would wait or read without end: only files and directories are read.
    if (info.isDirectory()) yield* walk(path);
    else if (info.isFile()) yield await readSource(path);
    else yield { kind: "skipped", path, reason: "not a regular file" };
  }
}

async function* walk(directory: string): AsyncGenerator<ScanSource> {
  let entries;
  try {
    entries = [];
    for await (const entry of await opendir(directory)) entries.push(entry);
  } catch (error) {
    yield { kind: "unreadable", path: directory, reason: reasonOf(error) };
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isSymbolicLink()) yield { kind: "skipped", path, reason: "a symbolic link, not followed" };
    else if (entry.isDirectory()) {
      if (SKIPPED_DIRECTORIES.includes(entry.name)) yield { kind: "skipped", path, reason: "a directory skipped by default" };
      else yield* walk(path);
    } else if (entry.isFile()) yield await readSource(path);
    else yield { kind: "skipped", path, reason: "not a regular file" };
  }
}

async function readSource(path: string): Promise<ScanSource> {
  try {
    const file = await open(path, "r");
    try {
      if ((await file.stat()).size > MAX_SCANNED_BYTES) return { kind: "skipped", path, reason: `larger than ${MAX_SCANNED_BYTES / 1024 / 1024} MB` };
      const bytes = await file.readFile();
      if (bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return { kind: "skipped", path, reason: "a binary file" };
      return { kind: "text", path, text: bytes.toString("utf8") };
    } finally {
      await file.close();
    }
  } catch (error) {
    return { kind: "unreadable", path, reason: reasonOf(error) };
  }
}

/** Node's message without the syscall and path it repeats ("ENOENT: no such file or directory, open 'x'"). */
function reasonOf(error: unknown): string {
  return messageOf(error).replace(/^E[A-Z]+: /, "").replace(/, \w+ '.*'$/, "");
}
