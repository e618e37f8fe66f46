import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Study } from '../../src/study/schema.js';
import { createPiscinaRunner, type TrialRunner } from '../../src/pool/runner.js';
import { createProcessRunner } from '../../src/pool/process-runner.js';
import type { Progress, TrialTask } from '../../src/pool/messages.js';

const workerFile = new URL('./fixtures/env-worker.ts', import.meta.url);
const study = Study.parse({
  name: 't',
  dataset: { name: 'synthetic' },
  grid: { model: ['IAE-LSTM-KL'], normalClass: [0] },
});

function task(i: number, normalClass = 0, sleepMs = 0): TrialTask {
  return {
    trialId: i,
    trialNumber: i,
    study: 't',
    params: { model: 'IAE-LSTM-KL', normalClass, seed: sleepMs, contamination: 0, minmax: 'train' },
    dataset: study.dataset,
    training: study.training,
    arch: study.arch,
    objective: 'svdd',
    backend: 'cpu',
    cacheDir: null,
  };
}

async function contract(runner: TrialRunner) {
  const seen: Progress[] = [];
  const r = await runner.run(task(1), (p) => seen.push(p), new AbortController().signal);
  assert.equal(r.value, 0.7);
  // Every progress message arrives, the last epoch included, before the result resolves.
  assert.deepEqual(
    seen.map((p) => (p.type === 'epoch' ? p.epoch : p.type)),
    ['phase', 1, 2],
  );
  await assert.rejects(
    runner.run(task(2, 9), () => {}, new AbortController().signal),
    /class 9 fails on purpose/,
  );
  const ac = new AbortController();
  const slow = runner.run(task(3, 0, 5000), () => {}, ac.signal);
  setTimeout(() => ac.abort(), 200);
  await assert.rejects(slow, (e: Error) => e.name === 'AbortError');
  // The runner still works after an abort.
  const after = await runner.run(task(4), () => {}, new AbortController().signal);
  assert.equal(after.value, 0.7);

  // The stop question: asked after scored epoch 1 (not after the last); "stop" ends the trial there, normally.
  const asked: number[] = [];
  const stopped: Progress[] = [];
  const s = await runner.run(
    task(5),
    (p) => stopped.push(p),
    new AbortController().signal,
    undefined,
    (epoch) => (asked.push(epoch), Promise.resolve(true)),
  );
  assert.deepEqual(asked, [1]);
  assert.equal(s.stoppedAt, 1);
  assert.equal(s.value, 0.6);
  assert.deepEqual(
    stopped.map((p) => (p.type === 'epoch' ? p.epoch : p.type)),
    ['phase', 1],
  );
  // A failing answer (the pruner could not read the database) means "go on": the trial is not left waiting.
  const failing = await runner.run(
    task(6),
    () => {},
    new AbortController().signal,
    undefined,
    () => Promise.reject(new Error('database is locked')),
  );
  assert.equal(failing.stoppedAt, undefined);
  assert.equal(failing.value, 0.7);
}

test('Piscina runner: progress, errors, abort', async () => {
  const runner = createPiscinaRunner({ workerFile, threads: 2 });
  try {
    await contract(runner);
  } finally {
    await runner.close();
  }
});

test('process runner: one process per GPU, each with its environment set before the worker loads', async () => {
  const runner = createProcessRunner({
    workerFile,
    processes: [
      { CUDA_VISIBLE_DEVICES: '0', TF_FORCE_GPU_ALLOW_GROWTH: 'true' },
      { CUDA_VISIBLE_DEVICES: '1', TF_FORCE_GPU_ALLOW_GROWTH: 'true' },
    ],
  });
  try {
    assert.equal(runner.concurrency, 2);
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) => runner.run(task(i, 0, 100), () => {}, new AbortController().signal)),
    );
    const gpus = new Set(results.map((r) => r.attrs.gpu));
    assert.deepEqual([...gpus].sort(), ['0', '1']);
    assert.ok(results.every((r) => r.attrs.growth === 'true'));
    assert.ok(
      results.every((r) => r.attrs.pid !== process.pid),
      'trials ran in child processes',
    );
    assert.equal(new Set(results.map((r) => r.attrs.pid)).size, 2, 'processes are kept between trials');
    await contract(runner);
  } finally {
    await runner.close();
  }
});

test('runner plan: threads for wasm/cpu, a process per GPU for tfjs-node-gpu, processes for tfjs-node', async () => {
  const { planRunner } = await import('../../src/pool/choose.js');
  const none = { gpu: false, node: false };
  assert.deepEqual(planRunner('auto', 2, none, []).kind, 'threads');
  // Unasked, wasm/cpu get one thread per core, native CPU TensorFlow one process.
  assert.equal(planRunner('auto', undefined, none, [], 6).workers, 6);
  assert.equal(planRunner('tensorflow', undefined, none, [], 6).workers, 1);
  assert.deepEqual(planRunner('tensorflow-gpu', 1, { gpu: true, node: false }, ['0', '1']).processes, [
    { CUDA_VISIBLE_DEVICES: '0', TF_FORCE_GPU_ALLOW_GROWTH: 'true' },
  ]);
  assert.equal(planRunner('wasm', 3, { gpu: true, node: true }, ['0']).kind, 'threads');
  const gpu = planRunner('auto', undefined, { gpu: true, node: false }, ['0', '1', '2']);
  assert.equal(gpu.kind, 'processes');
  assert.deepEqual(
    gpu.processes.map((e) => e.CUDA_VISIBLE_DEVICES),
    ['0', '1', '2'],
  );
  assert.equal(gpu.workers, 3);
  const cpuNative = planRunner('tensorflow', 2, none, []);
  assert.equal(cpuNative.kind, 'processes');
  assert.equal(cpuNative.processes.length, 2);
  assert.ok(cpuNative.processes.every((e) => e.CUDA_VISIBLE_DEVICES === undefined));
});

test('a native TensorFlow package without its binding (failed install) does not count as installed', async () => {
  const { nativeInstalled } = await import('../../src/pool/choose.js');
  assert.equal(nativeInstalled('@tensorflow/no-such-package'), false);
  // Here npm leaves @tensorflow/tfjs-node's folder without lib/napi-v*/tfjs_binding.node.
  const { existsSync } = await import('node:fs');
  const hasBinding = existsSync('node_modules/@tensorflow/tfjs-node/lib');
  assert.equal(nativeInstalled('@tensorflow/tfjs-node'), hasBinding);
});

test('process runner: a worker process ended by a stop signal (Ctrl-C reaches the process group) interrupts the trial, it does not fail it', async () => {
  const { execFileSync } = await import('node:child_process');
  const runner = createProcessRunner({ workerFile, processes: [{}] });
  // Starts a slow trial and, once it reports, sends `sig` to the one worker process (this process's child).
  const killDuring = async (n: number, sig: NodeJS.Signals) => {
    const seen: Progress[] = [];
    const run = runner.run(task(n, 0, 30_000), (p) => seen.push(p), new AbortController().signal);
    while (seen.length === 0) await new Promise((r) => setImmediate(r));
    for (const pid of execFileSync('pgrep', ['-P', String(process.pid)])
      .toString()
      .trim()
      .split('\n'))
      process.kill(Number(pid), sig);
    return { run };
  };
  try {
    await assert.rejects((await killDuring(1, 'SIGHUP')).run, (e: Error) => e.name === 'AbortError');
    await assert.rejects((await killDuring(2, 'SIGINT')).run, (e: Error) => e.name === 'AbortError');
    // A crash (any other signal) still fails the trial.
    await assert.rejects((await killDuring(3, 'SIGKILL')).run, /worker process died \(SIGKILL\) during the trial/);
  } finally {
    await runner.close();
  }
});
