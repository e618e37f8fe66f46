#!/usr/bin/env node
// Where the native GEMM addon's build finds OpenBLAS and Node's headers: one
// search, used by binding.gyp (gyp runs this file: `include_dirs` and `lib`
// print what the compiler needs) and by scripts/build-native.mjs (which checks
// them before it starts node-gyp).
//   IAE_OPENBLAS_DIR=/opt/openblas   where include/cblas.h and lib/libopenblas live, if not on the default paths
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const blasDir = () => process.env.IAE_OPENBLAS_DIR || null;

/** Folders to search for cblas.h besides the compiler's own (Debian's is on the default path). */
export function openblasIncludeDirs() {
  const dir = blasDir();
  return [
    dir && join(dir, 'include'),
    '/usr/include/openblas',
    '/opt/homebrew/opt/openblas/include',
    '/usr/local/opt/openblas/include',
  ].filter((d) => d && existsSync(d));
}

/**
 * The library the addon dlopen()s (native/iae_blas.c says why it is not
 * linked): a full path where we know the folder, else the soname for the
 * dynamic loader's own search (Debian's alternatives). IAE_OPENBLAS_LIB
 * overrides it at run time.
 */
export function openblasLib() {
  const names = process.platform === 'darwin' ? ['libopenblas.dylib'] : ['libopenblas.so.0', 'libopenblas.so'];
  const dir = blasDir();
  const dirs = [dir && join(dir, 'lib'), '/opt/homebrew/opt/openblas/lib', '/usr/local/opt/openblas/lib'].filter(
    Boolean,
  );
  return dirs.flatMap((d) => names.map((n) => join(d, n))).find((f) => existsSync(f)) ?? names[0];
}

/**
 * The folder holding include/node/node_api.h for node-gyp's --nodedir (npm's
 * nodedir setting, the prefix Node runs from), or null: then node-gyp uses
 * its own header cache where that exists, and would otherwise download the
 * headers.
 */
export function nodeDir() {
  const candidates = [process.env.npm_config_nodedir, resolve(dirname(process.execPath), '..')].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'include', 'node', 'node_api.h'))) ?? null;
}

/** node-gyp's header cache for this Node (what `node-gyp install` fills), or null. */
export function nodeGypCache() {
  const cache =
    process.platform === 'darwin'
      ? join(homedir(), 'Library', 'Caches')
      : process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const base = process.env.npm_config_devdir || join(cache, 'node-gyp');
  const dir = join(base, process.versions.node);
  return existsSync(join(dir, 'include', 'node', 'node_api.h')) ? dir : null;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const what = process.argv[2];
  if (what === 'include_dirs') console.log(openblasIncludeDirs().join(' '));
  else if (what === 'lib') console.log(openblasLib());
  else {
    console.error('usage: node scripts/native-config.mjs include_dirs|lib');
    process.exit(2);
  }
}
