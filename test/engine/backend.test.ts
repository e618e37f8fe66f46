// Backend selection: real imports of real (temporary) packages, no mocks.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../../src/errors/index.js';
import { ensureGradients, initBackend, installedWasmKernels, workersFor } from '../../src/engine/index.js';
import { vendoredGradientsVersion } from '../../src/engine/gradients.js';

const tmp = mkdtempSync(join(tmpdir(), 'iae-engine-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A folder whose node_modules holds the given fake packages (name -> index.js source). */
function projectWith(name: string, packages: Record<string, string>): string {
  const root = join(tmp, name);
  for (const [pkg, source] of Object.entries(packages)) {
    const dir = join(root, 'node_modules', ...pkg.split('/'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: pkg, version: '4.22.0', main: 'index.js' }));
    writeFileSync(join(dir, 'index.js'), source);
  }
  mkdirSync(root, { recursive: true });
  return root;
}

describe('initBackend', () => {
  it('auto skips native packages that are not installed, says so, and lands on wasm', async () => {
    const empty = projectWith('empty', {});
    const info = await initBackend('auto', { resolveFrom: empty });
    assert.equal(info.name, 'wasm');
    assert.deepEqual(info.notes, ['tfjs-node-gpu: not installed', 'tfjs-node: not installed']);
    assert.equal(tf.getBackend(), 'wasm');
  });

  it('says plainly when npm kept a native package without its binding (no libtensorflow download)', async () => {
    // The message tfjs-node 4.22 throws from lib/index when lib/napi-v8 is absent.
    const thrower = `throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: ' + __dirname + '/lib/napi-v8/tfjs_binding.node. \\nPlease run command \\'npm rebuild @tensorflow/tfjs-node build-addon-from-source\\' to rebuild the native addon module.');`;
    const root = projectWith('no-binding', { '@tensorflow/tfjs-node-gpu': thrower, '@tensorflow/tfjs-node': thrower });
    const info = await initBackend('auto', { resolveFrom: root });
    assert.equal(info.name, 'wasm');
    assert.deepEqual(info.notes, [
      'tfjs-node-gpu: fails to load: installed without its native binding (its install could not download libtensorflow; reinstall it with internet access)',
      'tfjs-node: fails to load: installed without its native binding (its install could not download libtensorflow; reinstall it with internet access)',
    ]);
  });

  it('tells "fails to load" (first line of the error) from "not installed"', async () => {
    const root = projectWith('broken-gpu', {
      // What a tfjs-node-gpu without CUDA looks like: its import throws.
      '@tensorflow/tfjs-node-gpu':
        "throw new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory\\n    at Object.Module._extensions..node');",
      // A present package whose own dependency is missing is broken, not absent.
      '@tensorflow/tfjs-node': "require('iae-missing-dependency-of-tfjs-node');",
    });
    const info = await initBackend('auto', { resolveFrom: root });
    assert.equal(info.name, 'wasm');
    assert.equal(info.notes.length, 2);
    assert.equal(
      info.notes[0],
      'tfjs-node-gpu: fails to load: libcudart.so.11.0: cannot open shared object file: No such file or directory',
    );
    assert.match(info.notes[1]!, /^tfjs-node: fails to load: Cannot find module 'iae-missing-dependency-of-tfjs-node'/);
  });

  it('an explicit choice that cannot load throws BackendError with the reason and a fix, no fallback', async () => {
    const root = projectWith('broken-gpu-2', {
      '@tensorflow/tfjs-node-gpu': "throw new Error('libcudart.so.11.0: cannot open shared object file');",
    });
    await assert.rejects(initBackend('tensorflow-gpu', { resolveFrom: root }), (e: unknown) => {
      assert.ok(e instanceof BackendError);
      assert.equal(e.exitCode, 2);
      assert.match(
        e.message,
        /backend "tensorflow-gpu" \(@tensorflow\/tfjs-node-gpu\) fails to load: libcudart\.so\.11\.0/,
      );
      assert.match(e.message, /Fix: .*npm install @tensorflow\/tfjs-node-gpu/);
      return true;
    });
    const empty = projectWith('empty-2', {});
    await assert.rejects(initBackend('tensorflow', { resolveFrom: empty }), (e: unknown) => {
      assert.ok(e instanceof BackendError);
      assert.match(e.message, /backend "tensorflow" \(@tensorflow\/tfjs-node\) not installed/);
      return true;
    });
    // Still on the backend we had: nothing switched behind our back.
    assert.equal(tf.getBackend(), 'wasm');
  });

  it('rejects an unknown choice with BackendError', async () => {
    await assert.rejects(initBackend('webgpu' as never), BackendError);
  });

  it('is idempotent per thread and re-activates the chosen backend', async () => {
    const a = await initBackend('wasm');
    const b = await initBackend('wasm');
    assert.equal(a, b);
    assert.equal(a.name, 'wasm');
    assert.deepEqual(a.notes, []);
    // The set-up builds the native GEMM addon; the info says it is in use.
    assert.match(a.kernels ?? '', /^native GEMM: OpenBLAS \d/);
    const c = await initBackend('cpu');
    assert.equal(c.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal(await initBackend('wasm'), a);
    assert.equal(tf.getBackend(), 'wasm');
  });

  it('registers gradients and our wasm kernels', async () => {
    await initBackend('wasm');
    ensureGradients();
    assert.ok(tf.getGradient(tf.Conv2D), 'conv2d gradient registered');
    assert.deepEqual(installedWasmKernels(), [
      'BatchMatMul',
      'Cast',
      'Conv2D', // the native GEMM's
      'Conv2DBackpropFilter',
      'Conv2DBackpropInput',
      'IaeLeakyReluGrad',
      'Identity',
      'LeakyRelu',
      'MaxPoolGrad',
      'Mean',
      'Sum',
      'Transpose',
    ]);
    // Training works end to end on wasm (the backend alone lacks Conv2DBackpropFilter).
    const w = tf.variable(tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 1));
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 2) as tf.Tensor4D;
    const before = tf.sum(tf.square(tf.conv2d(x, w as tf.Tensor4D, 1, 'same'))).dataSync()[0]!;
    const opt = tf.train.sgd(1e-4);
    for (let i = 0; i < 3; i++)
      opt.minimize(() => tf.sum(tf.square(tf.conv2d(x, w as tf.Tensor4D, 1, 'same'))) as tf.Scalar);
    const afterLoss = tf.sum(tf.square(tf.conv2d(x, w as tf.Tensor4D, 1, 'same'))).dataSync()[0]!;
    assert.ok(afterLoss < before, `loss decreases: ${before} -> ${afterLoss}`);
    tf.dispose([w, x]);
  });

  it('suggests one worker per core on wasm and cpu, one per process (per GPU) on native TensorFlow', () => {
    assert.equal(workersFor('wasm', 8), 8);
    assert.equal(workersFor('cpu', 2), 2);
    assert.equal(workersFor('tensorflow', 8), 1);
    assert.equal(workersFor('tensorflow-gpu', 8, 2), 2);
    assert.throws(() => workersFor('wasm', 0), RangeError);
  });

  it('the vendored gradient bundle matches the installed tfjs-core', () => {
    const require = createRequire(import.meta.url);
    const installed = JSON.parse(readFileSync(require.resolve('@tensorflow/tfjs-core/package.json'), 'utf8')).version;
    assert.equal(vendoredGradientsVersion(), installed, 'regenerate with: node src/engine/vendor/build-gradients.mjs');
  });

  it('works inside a worker thread', async () => {
    // Run as TypeScript under tsx, as JavaScript after tsc (npm test).
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const entry = new URL(`./fixtures/backend-worker.${ext}`, import.meta.url);
    const worker =
      ext === 'ts'
        ? new Worker(new URL('./fixtures/tsx-worker.mjs', import.meta.url), { workerData: { entry: entry.href } })
        : new Worker(entry);
    const msg = await new Promise<unknown>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.deepEqual(msg, { name: 'wasm', grad: [2, 4, 6] });
  });
});
