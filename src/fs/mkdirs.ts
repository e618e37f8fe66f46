// Creating folders that fails at once, with the path that is wrong.
//
// Why not mkdirSync(path, { recursive: true }): on Node 20, where the kernel
// answers ENOENT for a folder whose parent exists (procfs: /proc/forbidden),
// its recursive loop retries the parent (EEXIST) and the child (ENOENT) for
// ever, burning a core (`--out /proc/forbidden` hung). Here each missing level
// is created on its own, so the first failure is the answer.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Creates `path` and its missing parents; throws the first file-system error (with its code), never loops. */
export function makeDirs(path: string): void {
  const missing: string[] = [];
  let p = resolve(path);
  for (;;) {
    let isDir: boolean | null = null;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (isDir === true) break;
    if (isDir === false) {
      const err = new Error(`ENOTDIR: not a directory, mkdir '${p}'`) as NodeJS.ErrnoException;
      err.code = 'ENOTDIR';
      err.path = p;
      throw err;
    }
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (e) {
      // Another process made it in between: fine.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** "ENOTDIR: not a directory" from a Node file-system error, without the stack. */
export function fsReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err?.code
    ? `${err.code}: ${describeCode(err.code)}${err.path ? ` (${err.path})` : ''}`
    : String((e as Error)?.message ?? e);
}

function describeCode(code: string): string {
  switch (code) {
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'the folder cannot be created there';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EEXIST':
      return 'a file of that name exists';
    default:
      return 'file-system error';
  }
}
