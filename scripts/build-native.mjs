#!/usr/bin/env node
// Builds the optional native GEMM addon with node-gyp (binding.gyp:
// native/iae_blas.c -> build/Release/iae_blas.node, where
// src/engine/native/blas.ts loads it). npm runs it on install;
// `npm run build:native` reruns it with --require.
//
// Why a wrapper around `node-gyp rebuild` instead of letting npm run it: npm
// runs node-gyp by itself only for a package without an install script, and
// then a failed build fails `npm ci`. This addon is optional: without a C
// compiler, Node's headers or OpenBLAS the wasm backend computes convolutions
// and matMuls on XNNPACK instead (about 2.4x slower per training step). So
// this script checks those first (before node-gyp clears build/), says what is
// missing and how to fix it, and exits 0, unless --require is given. It also
// points node-gyp at Node's headers on this machine (--nodedir), so node-gyp
// never tries to download them, and loads OpenBLAS once after the build, to
// catch a missing shared library now rather than in every worker later.
//   IAE_OPENBLAS_DIR=/opt/openblas   where include/cblas.h and lib/libopenblas live, if not on the default paths
//   CC=clang                         the compiler (default cc; node-gyp's make uses it too)
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeDir, nodeGypCache, openblasIncludeDirs } from './native-config.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// node-gyp's place for a Release build of binding.gyp's target (blas.ts's ADDON_RELATIVE).
const out = join(root, 'build', 'Release', 'iae_blas.node');
const required = process.argv.includes('--require');

function give(why, fix, what = 'not built') {
  console.warn(
    `build-native: ${what}: ${why}.\n  Fix: ${fix}\n  Without it the wasm backend runs convolutions and matMuls on XNNPACK (slower; the same maths, results differ in the last bits).`,
  );
  process.exit(required ? 1 : 0);
}

/** The first lines of a failed command's output that say what went wrong. */
function firstErrors(e, n = 4) {
  const text = String(e.stderr || '') + String(e.stdout || '');
  const all = (text.trim() || String(e.message))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const errors = all.filter((l) => /error|not found|no such file/i.test(l) && !/^gyp (info|verb)/.test(l));
  return (errors.length ? errors : all).slice(0, n).join('\n    ');
}

/** npm's node-gyp: the one npm names while it runs us, else the one bundled next to the npm (or node) in use. */
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    const npm = join(dir, 'npm');
    if (dir && existsSync(npm)) {
      // npm's bin is a link to (or a shell script beside) npm/bin/npm-cli.js
      const real = realpathSync(npm);
      candidates.push(join(dirname(real), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
      candidates.push(
        join(dirname(real), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
      );
      break;
    }
  }
  candidates.push(
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  );
  return candidates.find((f) => f && existsSync(f));
}

if (process.platform === 'win32') give('Windows is not supported (the addon loads OpenBLAS with dlopen)', 'use WSL');

// Node's C headers (node_api.h): npm's nodedir, the prefix Node runs from, or node-gyp's own cache.
const nodedir = nodeDir();
if (!nodedir && !nodeGypCache())
  give(
    "Node's C headers (node_api.h) not found",
    "install your Node distribution's headers (Debian: they come with nodejs), set npm's nodedir, or run `npx node-gyp install` once online",
  );

// The compiler and cblas.h, checked with the preprocessor alone: seconds
// instead of a node-gyp run, and build/ (a working addon) is left alone.
const [cc, ...ccArgs] = (process.env.CC || 'cc').trim().split(/\s+/);
try {
  const includes = openblasIncludeDirs().map((d) => `-I${d}`);
  execFileSync(cc, [...ccArgs, ...includes, '-E', '-x', 'c', '-o', '/dev/null', '-'], {
    input: '#include <cblas.h>\n',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
} catch (e) {
  if (e.code === 'ENOENT')
    give(`no C compiler (${process.env.CC || 'cc'})`, 'install one (Debian: apt-get install gcc), or set CC');
  const msg = firstErrors(e);
  if (/cblas\.h/.test(msg))
    give(
      `OpenBLAS not found:\n    ${msg}`,
      'install OpenBLAS (Debian: apt-get install libopenblas-dev; macOS: brew install openblas), or set IAE_OPENBLAS_DIR',
    );
  give(`the compiler failed:\n    ${msg}`, 'see the message above');
}

const nodeGyp = findNodeGyp();
if (!nodeGyp)
  give(
    'node-gyp not found (npm bundles it)',
    'run `npm run build:native`, or install node-gyp (npm install -g node-gyp)',
  );
try {
  execFileSync(process.execPath, [nodeGyp, 'rebuild', '--release', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
} catch (e) {
  const msg = firstErrors(e, 6);
  if (/python/i.test(msg))
    give(`node-gyp found no Python 3:\n    ${msg}`, 'install python3 (node-gyp runs gyp with it), or set PYTHON');
  if (/make/.test(msg) && /not found|ENOENT/.test(msg))
    give(`node-gyp found no make:\n    ${msg}`, 'install make (Debian: apt-get install make)');
  give(`node-gyp failed:\n    ${msg}`, 'see the message above (`npx node-gyp rebuild --verbose` shows all of it)');
}
try {
  const state = createRequire(import.meta.url)(out).init(null, 'build check', process.env.IAE_OPENBLAS_LIB || null);
  console.log(
    `build-native: ${out.slice(root.length + 1)} built (${state.config.split(' ').slice(0, 2).join(' ')} from ${state.path}, ${state.core} kernels here)`,
  );
} catch (e) {
  // Left in place: the run-time loader says the same and falls back, and IAE_OPENBLAS_LIB can name a library later.
  const why = `it does not load OpenBLAS: ${String(e.message).split('\n')[0]}`;
  give(
    why,
    'install OpenBLAS (Debian: apt-get install libopenblas0), or set IAE_OPENBLAS_DIR (at build) / IAE_OPENBLAS_LIB (at run time)',
    'built, but not usable here',
  );
}
