// The native GEMM addon on its own: its functions on a plain heap against JS
// arithmetic, its bounds checks, and that the wasm backend's kernels really
// route through it (and stop doing so under IAE_NATIVE=0).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, seedRandom } from '../../src/engine/index.js';
import {
  ADDON_RELATIVE,
  loadNativeBlas,
  probeOwnCore,
  readCpu,
  type NativeBlas,
} from '../../src/engine/native/blas.js';
import { chooseCore, describeCore } from '../../src/engine/native/coretype.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const addonPath = join(root, ADDON_RELATIVE);

/** Runs a script in a fresh Node process (OpenBLAS loads once per process): its stdout's last line as JSON. */
function child(args: string[], env: Record<string, string | undefined>): unknown {
  const r = spawnSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_CORETYPE: undefined, ...env } as NodeJS.ProcessEnv,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as unknown;
}

/** A TypeScript module body run in a fresh process, printing JSON. */
const childTs = (code: string, env: Record<string, string | undefined>) =>
  child(['--import', 'tsx', '--input-type=module', '-e', code], env);

let blas: NativeBlas;

before(async () => {
  const got = loadNativeBlas();
  assert.ok(got.blas, got.why);
  blas = got.blas;
  await initBackend('cpu');
  await initBackend('wasm');
});

/** Reference row-major product of op(A) [m,k] and op(B) [k,n]. */
function matmul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  ta: boolean,
  tb: boolean,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i]! : a[i * k + p]!) * (tb ? b[j * k + p]! : b[p * n + j]!);
      c[i * n + j] = s;
    }
  return c;
}

describe('native GEMM addon', () => {
  it('gemm computes op(A) op(B) in place on a heap, with transposes, batches and accumulation', () => {
    const rng = seedRandom(11);
    const [m, n, k] = [7, 5, 9];
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const heap = new Float32Array(4 + 2 * m * k + 2 * k * n + 2 * m * n);
      const aOff = 4;
      const bOff = aOff + 2 * m * k;
      const cOff = bOff + 2 * k * n;
      for (let i = aOff; i < cOff; i++) heap[i] = rng.normal();
      heap.fill(0.5, cOff);
      // Two batches; the second accumulates onto its 0.5s.
      blas.gemm(
        heap.buffer,
        ta ? 1 : 0,
        tb ? 1 : 0,
        m,
        n,
        k,
        aOff,
        ta ? m : k,
        bOff,
        tb ? k : n,
        cOff,
        n,
        0,
        1,
        0,
        0,
        0,
      );
      blas.gemm(
        heap.buffer,
        ta ? 1 : 0,
        tb ? 1 : 0,
        m,
        n,
        k,
        aOff + m * k,
        ta ? m : k,
        bOff + k * n,
        tb ? k : n,
        cOff + m * n,
        n,
        1,
        1,
        0,
        0,
        0,
      );
      for (let batch = 0; batch < 2; batch++) {
        const ref = matmul(heap.subarray(aOff + batch * m * k), heap.subarray(bOff + batch * k * n), m, n, k, ta, tb);
        for (let i = 0; i < m * n; i++) {
          const want = ref[i]! + (batch === 1 ? 0.5 : 0);
          assert.ok(Math.abs(heap[cOff + batch * m * n + i]! - want) < 1e-4, `ta ${ta} tb ${tb} batch ${batch} [${i}]`);
        }
      }
      assert.deepEqual([...heap.subarray(0, 4)], [0, 0, 0, 0], 'nothing written before A');
    }
  });

  it('refuses a region outside the heap instead of writing past it', () => {
    const heap = new Float32Array(64);
    heap.fill(3);
    assert.throws(
      () => blas.gemm(heap.buffer, 0, 0, 4, 4, 4, 0, 4, 16, 4, 60, 4, 0, 1, 0, 0, 0),
      /outside the wasm heap/,
    );
    assert.throws(
      () => blas.gemm(heap.buffer, 0, 0, 4, 4, 4, -1, 4, 16, 4, 32, 4, 0, 1, 0, 0, 0),
      /aOff = -1 out of range/,
    );
    assert.throws(
      () => blas.conv(heap.buffer, 0, 0, 0, 0, 2, 8, 8, 1, 8, 8, 1, 3, 3, 1, 1, 1, 1, 1, 1),
      /outside the wasm heap/,
    );
    assert.throws(
      () => (blas.gemm as unknown as (...a: unknown[]) => void)(heap.buffer, 0, 0),
      /wrong number of arguments/,
    );
    assert.throws(
      () => blas.gemm(new Float32Array(4) as never, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0),
      /ArrayBuffer/,
    );
    assert.ok(
      heap.every((v) => v === 3),
      'the heap is untouched',
    );
  });

  it('refuses what used to slip through: lda below the row width, a negative batch stride or dilation, fractions, overflowing ends', () => {
    const heap = new Float32Array(64);
    heap.fill(3);
    const gemm = (...a: number[]) =>
      (blas.gemm as unknown as (h: ArrayBuffer, ...a: number[]) => void)(heap.buffer, ...a);
    // A [4, 4] with lda 3: OpenBLAS would print an error and leave C as it was.
    assert.throws(() => gemm(0, 0, 4, 4, 4, 0, 3, 16, 4, 32, 4, 0, 1, 0, 0, 0), /lda is smaller than A's row width/);
    assert.throws(
      () => gemm(1, 0, 4, 4, 2, 0, 3, 16, 4, 32, 4, 0, 1, 0, 0, 0),
      /lda is smaller/,
      'transposed: the row width is m',
    );
    assert.throws(() => gemm(0, 0, 4, 4, 4, 40, 4, 16, 4, 32, 4, 0, 2, -16, 0, 0), /strideA = -16 out of range/);
    assert.throws(
      () => gemm(0, 0, 4, 4, 4, 0, 4.5, 16, 4, 32, 4, 0, 1, 0, 0, 0),
      /lda = 4\.5 must be a finite integer/,
    );
    assert.throws(
      () => gemm(0, 0, 4, 4, 4, 0, 4, 16, 4, 32, 4, 0, 1, 0, 0, NaN),
      /strideC = nan must be a finite integer/,
    );
    assert.throws(
      () => gemm(0, 0, 4, 4, 4, 0, 4, 16, 4, 32, 4, 0, 2 ** 40, 2 ** 40, 0, 0),
      /size overflows|outside the wasm heap/,
    );
    assert.throws(
      () => gemm(0, 0, 4, 4, 4, 0, 4, 16, 4, 2 ** 53, 4, 0, 1, 0, 0, 0),
      /size overflows|outside the wasm heap/,
    );
    assert.throws(() => gemm(0, 0, 2 ** 31, 4, 4, 0, 4, 16, 4, 32, 4, 0, 1, 0, 0, 0), /m = 2147483648 out of range/);
    assert.throws(() => gemm(2, 0, 4, 4, 4, 0, 4, 16, 4, 32, 4, 0, 1, 0, 0, 0), /transA = 2 out of range/);
    assert.throws(
      () =>
        (blas.gemm as unknown as (...a: unknown[]) => void)(
          heap.buffer,
          0,
          0,
          4,
          4,
          4,
          '0',
          4,
          16,
          4,
          32,
          4,
          0,
          1,
          0,
          0,
          0,
        ),
      /aOff must be a number/,
    );
    // conv: a negative dilation would read before the image, a negative padding past it.
    assert.throws(
      () => blas.conv(heap.buffer, 0, 0, 20, 40, 1, 3, 3, 1, 3, 3, 1, 2, 2, 1, 1, -1, 1, 0, 0),
      /dh = -1 out of range/,
    );
    assert.throws(
      () => blas.conv(heap.buffer, 0, 0, 20, 40, 1, 3, 3, 1, 3, 3, 1, 2, 2, 1, 1, 1, 1, -2, 0),
      /pt = -2 out of range/,
    );
    assert.throws(
      () => blas.conv(heap.buffer, 3, 0, 20, 40, 1, 3, 3, 1, 3, 3, 1, 2, 2, 1, 1, 1, 1, 0, 0),
      /mode = 3 out of range/,
    );
    assert.throws(
      () => blas.conv(heap.buffer, 0, 0, 20, 40, 1, 3, 3, 1, 3, 3, 1, 2 ** 20, 2 ** 20, 1, 1, 1, 1, 0, 0),
      /exceed|outside the wasm heap/,
    );
    assert.ok(
      heap.every((v) => v === 3),
      'the heap is untouched',
    );
    // A detached buffer (its memory gone) and a shared one are refused too.
    const gone = new ArrayBuffer(64);
    structuredClone(gone, { transfer: [gone] });
    assert.throws(() => blas.gemm(gone, 0, 0, 1, 1, 1, 0, 1, 1, 1, 2, 1, 0, 1, 0, 0, 0), /ArrayBuffer/);
    assert.throws(
      () => blas.gemm(new SharedArrayBuffer(64) as never, 0, 0, 1, 1, 1, 0, 1, 1, 1, 2, 1, 0, 1, 0, 0, 0),
      /not shared/,
    );
  });

  it("the wasm backend's Conv2D, its gradients and BatchMatMul run on it, and IAE_NATIVE=0 turns it off", async () => {
    await initBackend('wasm');
    const calls = { conv: 0, gemm: 0 };
    const { conv, gemm } = blas;
    blas.conv = (...a: Parameters<NativeBlas['conv']>) => {
      calls.conv++;
      conv.apply(blas, a);
    };
    blas.gemm = (...a: Parameters<NativeBlas['gemm']>) => {
      calls.gemm++;
      gemm.apply(blas, a);
    };
    const step = () =>
      tf.tidy(() => {
        const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
        const f = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
        const w = tf.randomNormal([256, 16], 0, 1, 'float32', 3) as tf.Tensor2D;
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(
            tf.matMul(tf.reshape(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), [2, 256]), c as tf.Tensor2D),
          ),
        )([x, f, w]);
        return g.map((t) => Float32Array.from(t.dataSync()));
      });
    try {
      const on = step();
      // forward conv + its two gradients; matMul forward + its two gradients
      assert.deepEqual(calls, { conv: 3, gemm: 3 });
      process.env['IAE_NATIVE'] = '0';
      const off = step();
      assert.deepEqual(calls, { conv: 3, gemm: 3 }, 'no native call with IAE_NATIVE=0');
      on.forEach((o, i) =>
        o.forEach((v, j) =>
          assert.ok(Math.abs(v - off[i]![j]!) <= 1e-3 * (1 + Math.abs(v)), `output ${i}[${j}]: ${v} vs ${off[i]![j]}`),
        ),
      );
    } finally {
      delete process.env['IAE_NATIVE'];
      blas.conv = conv;
      blas.gemm = gemm;
    }
  });

  it('a dilated conv2d on the native path matches cpu', async () => {
    const rng = seedRandom(5);
    const xv = Float32Array.from({ length: 2 * 11 * 10 * 3 }, () => rng.normal());
    const fv = Float32Array.from({ length: 3 * 3 * 3 * 5 }, () => rng.normal());
    const run = async (b: 'cpu' | 'wasm') => {
      await initBackend(b);
      return tf.tidy(() =>
        tf.conv2d(tf.tensor4d(xv, [2, 11, 10, 3]), tf.tensor4d(fv, [3, 3, 3, 5]), 1, 'same', 'NHWC', 2).dataSync(),
      );
    };
    const ref = await run('cpu');
    const got = await run('wasm');
    assert.equal(got.length, ref.length);
    let d = 0;
    let r = 0;
    for (let i = 0; i < ref.length; i++) {
      d += (got[i]! - ref[i]!) ** 2;
      r += ref[i]! ** 2;
    }
    assert.ok(Math.sqrt(d / r) < 1e-5, `relative error ${Math.sqrt(d / r)}`);
  });

  it('worker threads calling it at once get bitwise the results of one thread (a sweep runs one per core)', async () => {
    // Plain JS in the workers: they load the addon itself, as train workers do.
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const blas = require(workerData.addon);
      const m = 96, n = 80, k = 700;
      const heap = new Float32Array(m * k + k * n + m * n);
      let seed = 12345;
      for (let i = 0; i < m * k + k * n; i++) { seed = (seed * 1103515245 + 12345) % 2147483648; heap[i] = seed / 2147483648 - 0.5; }
      const sums = [];
      for (let r = 0; r < workerData.rounds; r++) {
        blas.gemm(heap.buffer, 0, 1, m, n, k, 0, k, m * k, k, m * k + k * n, n, 0, 1, 0, 0, 0);
        blas.conv(heap.buffer, 1, 0, m * k, m * k + k * n, 1, 16, 16, 8, 16, 16, 4, 5, 5, 1, 1, 1, 1, 2, 2);
        sums.push(Buffer.from(heap.buffer, (m * k + k * n) * 4).toString('base64'));
      }
      parentPort.postMessage(sums);
    `;
    const addon = join(dirname(fileURLToPath(import.meta.url)), '..', '..', ADDON_RELATIVE);
    const run = (rounds: number) =>
      new Promise<string[]>((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { addon, rounds } });
        w.once('message', resolve);
        w.once('error', reject);
      });
    const [alone] = await run(1);
    const together = await Promise.all([run(30), run(30), run(30), run(30)]);
    for (const sums of together) for (const s of sums) assert.equal(s, alone, 'same bits in every thread and round');
  });
});

describe('OpenBLAS kernels (OPENBLAS_CORETYPE)', () => {
  it("runs the core chooseCore picks from this CPU's flags and OpenBLAS's own choice, and names it", () => {
    const state = blas.state();
    assert.ok(state, 'loaded');
    const own = probeOwnCore(addonPath, null);
    assert.ok(own.core, own.error);
    const choice = chooseCore({
      cpu: readCpu(),
      detected: own.core,
      user: process.env['OPENBLAS_CORETYPE'] || undefined,
    });
    assert.equal(state.core, choice.core);
    assert.equal(loadNativeBlas().why, `native GEMM: ${describeCore(state)}`);
    assert.match(loadNativeBlas().why, /^native GEMM: OpenBLAS \d+\.\d+\.\d+ \w+/);
  });

  it('a forced core (OPENBLAS_CORETYPE) is the one that runs and is reported, in the backend info too', () => {
    const code = `
      import { initBackend } from './src/engine/index.ts';
      const info = await initBackend('wasm');
      console.log(JSON.stringify([info.kernels, process.env.OPENBLAS_CORETYPE]));`;
    // (and the user's variable is as it was after the load)
    for (const core of ['Haswell', 'Prescott']) {
      const [kernels, env] = childTs(code, { OPENBLAS_CORETYPE: core }) as [string, string];
      assert.match(
        kernels,
        new RegExp(`^native GEMM: OpenBLAS \\d+\\.\\d+\\.\\d+ ${core}, from your OPENBLAS_CORETYPE$`),
      );
      assert.equal(env, core);
    }
  });

  it('init() from a worker thread sets the core for the whole process (process.env there never reaches C), and the first init wins', () => {
    const code = `
      const { Worker } = require('node:worker_threads');
      const addon = ${JSON.stringify(addonPath)};
      let before = '';
      try { require(addon).gemm(new ArrayBuffer(16), 0, 0, 1, 1, 1, 0, 1, 1, 1, 2, 1, 0, 1, 0, 0, 0); } catch (e) { before = e.message; }
      const w = new Worker("const { parentPort, workerData } = require('node:worker_threads'); parentPort.postMessage(require(workerData).init('Prescott', 'from a worker', null));", { eval: true, workerData: addon });
      w.once('message', (fromWorker) => {
        const b = require(addon);
        const main = b.state();
        const again = b.init('Haswell', 'later', null);
        console.log(JSON.stringify({ before, fromWorker: fromWorker.core, main: main.core, again: [again.core, again.asked, again.note], env: process.env.OPENBLAS_CORETYPE ?? null }));
        w.terminate();
      });`;
    assert.deepEqual(child(['-e', code], {}), {
      before: 'iae_blas.gemm: OpenBLAS is not loaded yet: call init() first',
      fromWorker: 'Prescott',
      main: 'Prescott',
      again: ['Prescott', 'Prescott', 'from a worker'],
      env: null, // restored after the load: child processes see the user's environment
    });
  });

  it('without a loadable OpenBLAS the addon is not used and XNNPACK computes (the optional fallback)', () => {
    const code = `
      import * as tf from '@tensorflow/tfjs-core';
      import { initBackend } from './src/engine/index.ts';
      import { nativeBlas } from './src/engine/native/blas.ts';
      const info = await initBackend('wasm');
      const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0];
      console.log(JSON.stringify({ kernels: info.kernels, native: nativeBlas() !== null, y }));`;
    const got = childTs(code, { IAE_OPENBLAS_LIB: '/nonexistent/libopenblas.so.0' }) as {
      kernels: string;
      native: boolean;
      y: number;
    };
    assert.match(
      got.kernels,
      /^XNNPACK; native GEMM fails to load \(iae_blas\.init: cannot load OpenBLAS \(\/nonexistent\/libopenblas\.so\.0\)/,
    );
    assert.match(got.kernels, /; install OpenBLAS \(Debian: libopenblas0\) or set IAE_OPENBLAS_LIB to a libopenblas$/);
    assert.equal(got.native, false);
    assert.equal(got.y, 11);
  });

  it('the install step succeeds without a C compiler, says what is missing, and leaves the built addon alone', () => {
    const before = statSync(addonPath).mtimeMs;
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['scripts/build-native.mjs', ...args], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, CC: '/nonexistent/cc' },
      });
    const plain = run();
    assert.equal(plain.status, 0);
    assert.match(plain.stderr, /build-native: not built: no C compiler \(\/nonexistent\/cc\)/);
    assert.equal(run('--require').status, 1, '--require (npm run build:native) fails instead');
    assert.equal(statSync(addonPath).mtimeMs, before);
  });

  /** The files the install step needs, copied to a scratch folder (node-gyp writes build/ beside binding.gyp). */
  function scratchCopy(): string {
    const dir = mkdtempSync(join(tmpdir(), 'iae-native-build-'));
    for (const f of ['binding.gyp', 'package.json', 'native', 'scripts/build-native.mjs', 'scripts/native-config.mjs'])
      cpSync(join(root, f), join(dir, f), { recursive: true });
    return dir;
  }
  const install = (dir: string, env: Record<string, string>, ...args: string[]) =>
    spawnSync(process.execPath, ['scripts/build-native.mjs', ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });

  it(
    "the install step builds the addon with node-gyp from binding.gyp, with the project's flags and OpenBLAS from IAE_OPENBLAS_DIR",
    { skip: process.platform !== 'linux' && 'finds the real libopenblas through /proc/self/maps' },
    () => {
      // The library this process runs (the suite's addon loaded it in before()), behind a prefix of our own.
      const real = readFileSync('/proc/self/maps', 'utf8')
        .split('\n')
        .find((l) => /\/libopenblas[^/]*\.so/.test(l))
        ?.split(/\s+/)
        .at(-1);
      assert.ok(real, 'libopenblas is mapped in this process');
      const dir = scratchCopy();
      try {
        const prefix = join(dir, 'openblas');
        mkdirSync(join(prefix, 'lib'), { recursive: true });
        mkdirSync(join(prefix, 'include'));
        symlinkSync(real, join(prefix, 'lib', 'libopenblas.so.0'));
        // Found first through IAE_OPENBLAS_DIR/include; it passes on to the system's.
        writeFileSync(join(prefix, 'include', 'cblas.h'), '#include_next <cblas.h>\n');
        const r = install(dir, { IAE_OPENBLAS_DIR: prefix }, '--require');
        assert.equal(r.status, 0, r.stderr);
        const lib = join(prefix, 'lib', 'libopenblas.so.0');
        assert.match(
          r.stdout,
          new RegExp(
            `^build-native: ${ADDON_RELATIVE.replace(/[./]/g, '\\$&')} built \\(OpenBLAS \\d+\\.\\d+\\.\\d+ from ${lib.replace(/[./-]/g, '\\$&')}, \\w+ kernels here\\)$`,
            'm',
          ),
        );
        assert.ok(existsSync(join(dir, ADDON_RELATIVE)), 'the addon is where blas.ts loads it');
        // What node-gyp compiled with: our flags and the library's path as the addon's default.
        const mk = readFileSync(join(dir, 'build', 'iae_blas.target.mk'), 'utf8');
        const cflags = mk
          .slice(mk.indexOf('CFLAGS_C_Release :='), mk.indexOf('\n\n', mk.indexOf('CFLAGS_C_Release :=')))
          .split(/\s+/);
        for (const flag of ['-O3', '-std=c11', '-Werror=implicit-function-declaration'])
          assert.ok(cflags.includes(flag), `${flag} in ${cflags.join(' ')}`);
        assert.ok(mk.includes(`'-DIAE_OPENBLAS_LIB="${lib}"'`), 'the library path is compiled in');
        assert.ok(mk.includes(`-I${join(prefix, 'include')}`), "IAE_OPENBLAS_DIR's include folder is searched");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('a C file that calls an undeclared function does not build (the pointer would be cut to an int); the install step still exits 0', () => {
    const dir = scratchCopy();
    try {
      const c = join(dir, 'native', 'iae_blas.c');
      writeFileSync(c, `${readFileSync(c, 'utf8')}\nvoid *iae_test_undeclared(void) { return iae_test_missing(); }\n`);
      const plain = install(dir, {});
      assert.equal(plain.status, 0, plain.stderr);
      assert.match(
        plain.stderr,
        /^build-native: not built: node-gyp failed:\n.*implicit declaration of function .iae_test_missing./m,
      );
      assert.equal(existsSync(join(dir, ADDON_RELATIVE)), false);
      assert.equal(install(dir, {}, '--require').status, 1, '--require fails instead');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
