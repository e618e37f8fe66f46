#!/usr/bin/env node
// Builds the optional native GEMM addon (native/iae_blas.c -> build/native/iae_blas.node)
// against OpenBLAS. npm runs it on install; `npm run build:native` reruns it.
//
// Optional on purpose: without a C compiler, Node's headers or OpenBLAS the
// wasm backend computes convolutions and matMuls on XNNPACK instead (about
// 2.4x slower per training step). So a failure here says what is missing and
// exits 0, unless --require is given.
//   IAE_OPENBLAS_DIR=/opt/openblas   where include/cblas.h and lib/libopenblas live, if not on the default paths
//   CC=clang                         the compiler (default cc)
//
// The addon does not link OpenBLAS: it dlopen()s it at run time (see
// native/iae_blas.c for why), by the path or name found here, which
// IAE_OPENBLAS_LIB overrides at run time.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { homedir } from 'node:os';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'native', 'iae_blas.c');
const out = join(root, 'build', 'native', 'iae_blas.node');
const required = process.argv.includes('--require');

function give(why, fix) {
  console.warn(`build-native: not built: ${why}.\n  Fix: ${fix}\n  Without it the wasm backend runs convolutions and matMuls on XNNPACK (slower; the same maths, results differ in the last bits).`);
  process.exit(required ? 1 : 0);
}

/** Node's C headers (node_api.h): npm's nodedir, the prefix Node runs from, node-gyp's cache. */
function nodeHeaders() {
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
    join(dirname(process.execPath), '..', 'include', 'node'),
    join(homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
  ].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}

const headers = nodeHeaders();
if (!headers) give("Node's C headers (node_api.h) not found", 'install your Node distribution\'s headers (Debian: they come with nodejs; or run `npx node-gyp install`)');

const cc = process.env.CC || 'cc';
// An undeclared function would be taken as returning int: a pointer cut in half. Refuse that.
const args = ['-O3', '-fPIC', '-shared', '-std=c11', '-Wall', '-Werror=implicit-function-declaration', `-I${headers}`];
const blasDir = process.env.IAE_OPENBLAS_DIR;
if (blasDir) args.push(`-I${join(blasDir, 'include')}`);
for (const d of ['/usr/include/openblas', '/opt/homebrew/opt/openblas/include', '/usr/local/opt/openblas/include']) if (existsSync(d)) args.push(`-I${d}`);
// The library the addon dlopen()s: a full path where we know the folder, else
// the soname for the dynamic loader's own search (Debian's alternatives).
const libNames = process.platform === 'darwin' ? ['libopenblas.dylib'] : ['libopenblas.so.0', 'libopenblas.so'];
const libDirs = [blasDir && join(blasDir, 'lib'), '/opt/homebrew/opt/openblas/lib', '/usr/local/opt/openblas/lib'].filter(Boolean);
const lib = libDirs.flatMap((d) => libNames.map((n) => join(d, n))).find((f) => existsSync(f)) ?? libNames[0];
args.push(`-DIAE_OPENBLAS_LIB=${JSON.stringify(lib)}`, '-pthread');
// Node's symbols are resolved when the addon loads; macOS's linker must be told so.
if (process.platform === 'darwin') args.push('-undefined', 'dynamic_lookup');

mkdirSync(dirname(out), { recursive: true });
// A .node name: require() picks its loader by the extension.
const tmp = join(dirname(out), `iae_blas.${process.pid}.tmp.node`);
try {
  execFileSync(cc, [...args, src, '-o', tmp, ...(process.platform === 'linux' ? ['-ldl'] : []), '-lm'], { stdio: ['ignore', 'pipe', 'pipe'] });
} catch (e) {
  rmSync(tmp, { force: true });
  const msg = String(e.stderr || e.message).trim().split('\n').slice(0, 4).join('\n    ');
  if (e.code === 'ENOENT') give(`no C compiler (${cc})`, 'install one (Debian: apt-get install gcc), or set CC');
  if (/cblas\.h|lopenblas/.test(msg)) give(`OpenBLAS not found:\n    ${msg}`, 'install OpenBLAS (Debian: apt-get install libopenblas-dev; macOS: brew install openblas), or set IAE_OPENBLAS_DIR');
  give(`the compiler failed:\n    ${msg}`, 'see the message above');
}
try {
  // Loading OpenBLAS here catches a missing shared library now, not in every worker later.
  const state = createRequire(import.meta.url)(tmp).init(null, 'build check', process.env.IAE_OPENBLAS_LIB || null);
  renameSync(tmp, out);
  console.log(`build-native: ${out.slice(root.length + 1)} built (${state.config.split(' ').slice(0, 2).join(' ')} from ${state.path}, ${state.core} kernels here)`);
} catch (e) {
  rmSync(tmp, { force: true });
  give(`the addon built but does not load OpenBLAS: ${String(e.message).split('\n')[0]}`, 'install OpenBLAS (Debian: apt-get install libopenblas0), or set IAE_OPENBLAS_DIR / IAE_OPENBLAS_LIB');
}
