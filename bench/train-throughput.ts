// Training throughput of the paper's Fashion-MNIST IAE-LSTM-KL network, one
// worker, batch 64: samples/s of a full step (forward, backward, Adam).
//
// Compares, in one run: our wasm backend with the fast kernels of
// src/engine/wasm and the native GEMM addon (src/engine/native), the same
// with the addon switched off (XNNPACK), the naive wasm path (its own kernels, plus the minimal
// Conv2DBackpropFilter it lacks so that it can train at all), and PyTorch 1.13
// on one thread (bench/torch_throughput.py) when /usr/bin/python3 has torch.
//
//   node --import tsx bench/train-throughput.ts [--steps N] [--warmup N] [--batch N] [--skip-naive] [--skip-torch] [--profile] [--workers N] [--vs-core NAME[,NAME...]]
//
// It prints the OpenBLAS core that ran ours (src/engine/native/coretype.ts
// picks it) and runs the PyTorch twin with OPENBLAS_CORETYPE set to the same
// core, so that both use the same kernels where torch calls OpenBLAS.
// --vs-core NAME[,NAME...] also measures ours and the twin with
// OPENBLAS_CORETYPE=NAME (e.g. Prescott, the generic fallback), each in a child
// process (OpenBLAS picks its kernels once per process), and prints every core
// side by side.
// --profile prints the kernels of one step sorted by time (ours).
// --workers N measures N worker threads training at once (each its own net)
// against one, to check that throughput scales with threads (wasm runs one
// thread per worker in Node).
// The network is written here in plain tfjs-core ops on purpose: it measures
// the engine, independent of src/models.
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import {
  batchNormTrain,
  FusedAdam,
  initBackend,
  installWasmKernels,
  uninstallWasmKernels,
  upsampleNearest2x,
} from '../src/engine/index.js';
import { loadNativeBlas } from '../src/engine/native/blas.js';

export interface NetOptions {
  batch: number;
  lambdaRec: number;
  lambdaKl: number;
  seed: number;
  /** 'fused': our FusedAdam (AMSGrad, weight decay, as the recipe); 'tfjs': tf.train.adam. */
  optimizer: 'fused' | 'tfjs';
  /** 'fused': batchNormTrain (one kernel each way); 'ops': tf.moments and broadcasting ops. */
  bn: 'fused' | 'ops';
}

/** The IAE-LSTM-KL network for 1x32x32 inputs (docs/recipe.md, "Networks") and one Adam training step. */
export function buildNet(o: NetOptions) {
  const rnd = (shape: number[], fanIn: number, seed: number) =>
    tf.variable(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), Math.sqrt(2 / fanIn)) as tf.Tensor);
  const enc = [
    rnd([5, 5, 1, 32], 25, o.seed + 1),
    rnd([5, 5, 32, 64], 25 * 32, o.seed + 2),
    rnd([5, 5, 64, 128], 25 * 64, o.seed + 3),
  ];
  const lstmW = rnd([2048, 6144], 2048, o.seed + 4);
  const lstmB = tf.variable(tf.zeros([6144]));
  const lin = rnd([2048, 128], 2048, o.seed + 5);
  // conv2dTranspose filters are [kh, kw, outC, inC].
  const dec = [
    rnd([5, 5, 128, 8], 25 * 8, o.seed + 6),
    rnd([5, 5, 64, 128], 25 * 128, o.seed + 7),
    rnd([5, 5, 32, 64], 25 * 64, o.seed + 8),
    rnd([5, 5, 1, 32], 25 * 32, o.seed + 9),
  ];
  const vars = [...enc, lstmW, lstmB, lin, ...dec] as tf.Variable[];
  const center = tf.randomNormal([1, 128], 0, 0.1, 'float32', o.seed + 10);

  const bn = (x: tf.Tensor, axes: number[]) => {
    if (o.bn === 'fused') return batchNormTrain(x, 1e-4);
    const { mean, variance } = tf.moments(x, axes, true);
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-4)));
  };

  const forward = (x: tf.Tensor4D) => {
    let h: tf.Tensor4D = x;
    for (const w of enc) {
      h = tf.conv2d(h, w as tf.Tensor4D, 1, 'same');
      h = tf.leakyRelu(bn(h, [0, 1, 2]), 0.01) as tf.Tensor4D;
      h = tf.maxPool(h, 2, 2, 'valid');
    }
    const flat = tf.reshape(h, [o.batch, 2048]) as tf.Tensor2D;
    // LSTM cell, zero state: one matMul for the i, g, o gates.
    const gates = tf.add(tf.matMul(flat, lstmW as tf.Tensor2D), lstmB);
    const [gi, gg, go] = tf.split(gates, 3, 1);
    const c = tf.mul(tf.sigmoid(gi!), tf.tanh(gg!));
    const hl = tf.mul(tf.sigmoid(go!), tf.tanh(c));
    const z = tf.matMul(hl, lin as tf.Tensor2D);
    let d = tf.leakyRelu(tf.reshape(bn(z, [0]), [o.batch, 4, 4, 8]), 0.01) as tf.Tensor4D;
    for (let i = 0; i < 3; i++) {
      const w = dec[i] as tf.Tensor4D;
      const [, hh, ww] = d.shape;
      d = tf.conv2dTranspose(d, w, [o.batch, hh, ww, w.shape[2]], 1, 'same');
      d = tf.leakyRelu(bn(d, [0, 1, 2]), 0.01) as tf.Tensor4D;
      d = upsampleNearest2x(d);
    }
    const last = dec[3] as tf.Tensor4D;
    const xhat = tf.sigmoid(tf.conv2dTranspose(d, last, [o.batch, 32, 32, 1], 1, 'same'));
    return { z, xhat };
  };

  const lossOf = (x: tf.Tensor4D, klTarget: tf.Tensor2D) => {
    const { z, xhat } = forward(x);
    const svdd = tf.mean(tf.sum(tf.squaredDifference(z, center), 1));
    const rec = tf.mean(tf.squaredDifference(xhat, x));
    // KLDivLoss(batchmean)(input = z as log-probs, target = softmax(randn)).
    const kl = tf.div(tf.sum(tf.mul(klTarget, tf.sub(tf.log(klTarget), z))), o.batch);
    return tf.add(tf.add(svdd, tf.mul(rec, o.lambdaRec)), tf.mul(kl, o.lambdaKl)) as tf.Scalar;
  };

  const opt =
    o.optimizer === 'fused'
      ? new FusedAdam({ learningRate: 1e-4, amsgrad: true, weightDecay: 0.5e-6 })
      : tf.train.adam(1e-4);
  let stepNo = 0;
  const step = (x: tf.Tensor4D): number => {
    stepNo++;
    const loss = tf.tidy(() => {
      const klTarget = tf.softmax(
        tf.randomNormal([o.batch, 128], 0, 1, 'float32', o.seed + 1000 + stepNo),
      ) as tf.Tensor2D;
      return opt.minimize(() => lossOf(x, klTarget), true, vars)!;
    });
    const v = loss.dataSync()[0]!;
    loss.dispose();
    return v;
  };
  const dispose = () => {
    opt.dispose();
    tf.dispose([...vars, center]);
  };
  return { step, dispose, vars };
}

interface Measure {
  /** From the median wall-clock step. */
  samplesPerSec: number;
  /** From the median CPU time (user+system) per step: robust when other processes share the cores. */
  samplesPerCpuSec: number;
  stepMs: number[];
  loss: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function measure(
  batch: number,
  steps: number,
  warmup: number,
  optimizer: NetOptions['optimizer'],
  bn: NetOptions['bn'],
): Measure {
  const x = tf.randomUniform([batch, 32, 32, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
  const net = buildNet({ batch, lambdaRec: 1, lambdaKl: 0.001, seed: 1, optimizer, bn });
  let loss = NaN;
  for (let i = 0; i < warmup; i++) loss = net.step(x);
  const stepMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    loss = net.step(x);
    stepMs.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  }
  net.dispose();
  x.dispose();
  if (!Number.isFinite(loss)) throw new Error(`training diverged: loss ${loss}`);
  // Median step: the machine is shared, the median resists other processes' bursts.
  return {
    samplesPerSec: (batch * 1000) / median(stepMs),
    samplesPerCpuSec: (batch * 1000) / median(cpuMs),
    stepMs,
    loss,
  };
}

async function profileStep(batch: number): Promise<void> {
  const x = tf.randomUniform([batch, 32, 32, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
  const net = buildNet({ batch, lambdaRec: 1, lambdaKl: 0.001, seed: 1, optimizer: 'fused', bn: 'fused' });
  net.step(x);
  const prof = await tf.profile(() => {
    net.step(x);
  });
  const byName = new Map<string, { ms: number; n: number }>();
  for (const k of prof.kernels) {
    const e = byName.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.n++;
    byName.set(k.name, e);
  }
  const rows = [...byName].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((s, [, e]) => s + e.ms, 0);
  console.log(`profile of one step (batch ${batch}), kernel time ${total.toFixed(0)} ms:`);
  for (const [name, e] of rows.slice(0, 25))
    console.log(`  ${name.padEnd(28)} ${e.ms.toFixed(1).padStart(8)} ms  x${e.n}`);
  if (process.env.PROFILE_DETAIL) {
    const want = new Set(process.env.PROFILE_DETAIL.split(','));
    for (const k of prof.kernels) {
      if (want.has(k.name))
        console.log(
          `    ${k.name} ${(k.kernelTimeMs as number).toFixed(1)} ms ${JSON.stringify(k.inputShapes)} -> ${JSON.stringify(k.outputShapes)}`,
        );
    }
  }
  net.dispose();
  x.dispose();
}

/**
 * GFLOP/s per CPU-second of the native GEMM alone: C = A B on 1024x1024
 * matrices, one thread, the median of 5 (the figure issue reports compare
 * OpenBLAS cores by). null where the addon is not loaded.
 */
function sgemmGflops(): number | null {
  const blas = loadNativeBlas().blas;
  if (!blas) return null;
  const n = 1024;
  const heap = new Float32Array(3 * n * n);
  for (let i = 0; i < 2 * n * n; i++) heap[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  const cpuMs: number[] = [];
  for (let r = 0; r < 6; r++) {
    const c0 = process.cpuUsage();
    blas.gemm(heap.buffer, 0, 0, n, n, n, 0, n, n * n, n, 2 * n * n, n, 0, 1, 0, 0, 0);
    const c = process.cpuUsage(c0);
    if (r > 0) cpuMs.push((c.user + c.system) / 1000);
  }
  return (2 * n ** 3) / (median(cpuMs) * 1e6);
}

function torchAvailable(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function runTorch(
  batch: number,
  steps: number,
  warmup: number,
  core: string | null,
): { samplesPerSec: number; samplesPerCpuSec: number; torch: string } | null {
  const script = fileURLToPath(new URL('./torch_throughput.py', import.meta.url));
  if (!existsSync('/usr/bin/python3') || !torchAvailable()) return null;
  // torch.set_num_threads(1) limits torch's own pool, not OpenBLAS's (Debian's
  // torch calls OpenBLAS for matMuls): pin both, or "one thread" uses two cores.
  const out = execFileSync(
    '/usr/bin/python3',
    [script, '--batch', String(batch), '--steps', String(steps), '--warmup', String(warmup)],
    {
      encoding: 'utf8',
      // The OpenBLAS kernels ours ran on, for a fair comparison (without it an
      // OpenBLAS that does not know the CPU falls back to generic kernels there too).
      env: {
        ...process.env,
        OPENBLAS_NUM_THREADS: '1',
        OMP_NUM_THREADS: '1',
        MKL_NUM_THREADS: '1',
        ...(core ? { OPENBLAS_CORETYPE: core } : {}),
      },
    },
  );
  const last = out.trim().split('\n').at(-1)!;
  return JSON.parse(last) as { samplesPerSec: number; samplesPerCpuSec: number; torch: string };
}

interface WorkerJob {
  benchWorker: true;
  batch: number;
  steps: number;
  warmup: number;
}

/** Inside a worker: warm up, wait for "go", run the steps, report their times. */
async function workerMain(job: WorkerJob): Promise<void> {
  await initBackend('wasm');
  const x = tf.randomUniform([job.batch, 32, 32, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
  const net = buildNet({ batch: job.batch, lambdaRec: 1, lambdaKl: 0.001, seed: 1, optimizer: 'fused', bn: 'fused' });
  for (let i = 0; i < job.warmup; i++) net.step(x);
  parentPort!.postMessage({ type: 'ready' });
  await new Promise((resolve) => parentPort!.once('message', resolve));
  const t0 = performance.now();
  for (let i = 0; i < job.steps; i++) net.step(x);
  parentPort!.postMessage({ type: 'done', ms: performance.now() - t0 });
}

function startWorker(job: WorkerJob): Worker {
  const self = new URL(import.meta.url);
  if (self.pathname.endsWith('.ts')) {
    // Running from TypeScript: register tsx inside the worker (Node 20 does
    // not carry --import hooks into worker threads), then load this file.
    const code = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(self.href)}); })`;
    return new Worker(code, { eval: true, workerData: job });
  }
  return new Worker(self, { workerData: job });
}

/** Samples/s of n workers training at once (from the common start to the last one done). */
async function measureWorkers(n: number, batch: number, steps: number, warmup: number): Promise<number> {
  const job: WorkerJob = { benchWorker: true, batch, steps, warmup };
  const workers = Array.from({ length: n }, () => startWorker(job));
  const next = (w: Worker) =>
    new Promise<{ type: string; ms?: number }>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  await Promise.all(workers.map(next));
  const t0 = performance.now();
  const done = workers.map(next);
  for (const w of workers) w.postMessage('go');
  await Promise.all(done);
  const wall = performance.now() - t0;
  await Promise.all(workers.map((w) => w.terminate()));
  return (n * steps * batch * 1000) / wall;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '8' },
      warmup: { type: 'string', default: '2' },
      batch: { type: 'string', default: '64' },
      'skip-naive': { type: 'boolean', default: false },
      'skip-torch': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      workers: { type: 'string' },
      'vs-core': { type: 'string' },
    },
  });
  const steps = Number(values.steps);
  const warmup = Number(values.warmup);
  const batch = Number(values.batch);
  const info = await initBackend('wasm');
  console.log(
    `backend ${info.name} [${info.kernels ?? ''}]; node ${process.version}; ${cpus()[0]?.model ?? '?'} x${cpus().length}`,
  );
  const core = loadNativeBlas().blas?.state()?.core ?? null;
  const gflops = sgemmGflops();
  console.log(
    `OpenBLAS core: ${core ?? 'none (the native GEMM is not loaded)'}${gflops === null ? '' : `; sgemm 1024^3, 1 thread: ${gflops.toFixed(1)} GFLOP/s per CPU-second`}`,
  );
  if (values.profile) {
    await profileStep(batch);
    return;
  }
  if (values.workers !== undefined) {
    const n = Number(values.workers);
    const one = await measureWorkers(1, batch, steps, warmup);
    const many = await measureWorkers(n, batch, steps, warmup);
    console.log(`1 worker: ${one.toFixed(1)} samples/s; ${n} workers: ${many.toFixed(1)} samples/s together`);
    console.log(
      JSON.stringify({
        batch,
        workers: n,
        one: +one.toFixed(1),
        many: +many.toFixed(1),
        speedup: +(many / one).toFixed(2),
        cpus: cpus().length,
      }),
    );
    return;
  }

  const ours = measure(batch, steps, warmup, 'fused', 'fused');
  const fmt = (m: Measure) =>
    `${m.samplesPerSec.toFixed(1)} samples/s wall, ${m.samplesPerCpuSec.toFixed(1)} per CPU-second (step ms ${m.stepMs.map((v) => v.toFixed(0)).join(' ')})`;
  console.log(`ours:  ${fmt(ours)}, loss ${ours.loss.toFixed(4)}`);
  // Our kernels, but the model's batch norm and optimiser written as plain tfjs (tf.moments, tf.train.adam).
  const oursPlain = values['skip-naive'] ? null : measure(batch, Math.max(3, Math.ceil(steps / 2)), 1, 'tfjs', 'ops');
  if (oursPlain) console.log(`ours, BN via tf.moments + tf.train.adam: ${fmt(oursPlain)}`);
  // Our kernels with the native GEMM switched off: convolutions and matMuls on XNNPACK.
  let oursXnnpack: Measure | null = null;
  if (!values['skip-naive'] && info.kernels?.startsWith('native')) {
    process.env['IAE_NATIVE'] = '0';
    oursXnnpack = measure(batch, Math.max(3, Math.ceil(steps / 2)), 1, 'fused', 'fused');
    delete process.env['IAE_NATIVE'];
    console.log(`ours, XNNPACK instead of the native GEMM (IAE_NATIVE=0): ${fmt(oursXnnpack)}`);
  }

  let naive: Measure | null = null;
  if (!values['skip-naive']) {
    uninstallWasmKernels();
    // wasm has no Conv2DBackpropFilter: keep ours for that one kernel only.
    installWasmKernels([tf.Conv2DBackpropFilter]);
    naive = measure(batch, Math.max(2, Math.ceil(steps / 4)), 1, 'tfjs', 'ops');
    uninstallWasmKernels();
    installWasmKernels();
    console.log(`naive: ${fmt(naive)}`);
  }

  const torch = values['skip-torch'] ? null : runTorch(batch, steps, warmup, core);
  if (!values['skip-torch'] && !torch) console.log('torch: skipped (/usr/bin/python3 cannot import torch)');
  if (torch)
    console.log(
      `torch: ${torch.samplesPerSec.toFixed(1)} samples/s wall, ${torch.samplesPerCpuSec.toFixed(1)} per CPU-second (torch ${torch.torch}, 1 thread, OPENBLAS_CORETYPE=${core ?? 'unset'})`,
    );

  // The summary, last.
  console.log(
    JSON.stringify({
      batch,
      core,
      sgemmGflops: gflops === null ? null : +gflops.toFixed(1),
      ours: +ours.samplesPerSec.toFixed(1),
      oursPlainBnAdam: oursPlain ? +oursPlain.samplesPerSec.toFixed(1) : null,
      oursXnnpack: oursXnnpack ? +oursXnnpack.samplesPerSec.toFixed(1) : null,
      naive: naive ? +naive.samplesPerSec.toFixed(1) : null,
      torch: torch ? +torch.samplesPerSec.toFixed(1) : null,
      oursOverTorch: torch ? +(ours.samplesPerSec / torch.samplesPerSec).toFixed(2) : null,
      cpuSecBased: {
        ours: +ours.samplesPerCpuSec.toFixed(1),
        naive: naive ? +naive.samplesPerCpuSec.toFixed(1) : null,
        torch: torch ? +torch.samplesPerCpuSec.toFixed(1) : null,
        oursOverTorch: torch ? +(ours.samplesPerCpuSec / torch.samplesPerCpuSec).toFixed(2) : null,
      },
    }),
  );
  // Each core of --vs-core (comma-separated) measured again in a child process
  // with OPENBLAS_CORETYPE set to it: OpenBLAS picks its kernels once per process.
  const others = (values['vs-core'] ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (others.length > 0) {
    type Summary = {
      core: string | null;
      sgemmGflops: number | null;
      ours: number;
      torch: number | null;
      cpuSecBased: { ours: number; torch: number | null };
    };
    const child = (vs: string): Summary => {
      const args = [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        '--steps',
        String(steps),
        '--warmup',
        String(warmup),
        '--batch',
        String(batch),
        '--skip-naive',
      ];
      if (values['skip-torch']) args.push('--skip-torch');
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, OPENBLAS_CORETYPE: vs } });
      if (r.status !== 0) throw new Error(`--vs-core ${vs}: the child run failed: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Summary;
    };
    const here: Summary = {
      core,
      sgemmGflops: gflops,
      ours: ours.samplesPerSec,
      torch: torch?.samplesPerSec ?? null,
      cpuSecBased: { ours: ours.samplesPerCpuSec, torch: torch?.samplesPerCpuSec ?? null },
    };
    const rows = [here, ...others.map(child)];
    const f = (v: number | null) => (v === null ? '-' : v.toFixed(1));
    const ratio = (a: number, b: number | null) => (b === null ? '-' : (a / b).toFixed(2));
    // The first row is this process's own choice (coretype.ts, or the user's OPENBLAS_CORETYPE); the rest were forced.
    const row = (m: Summary, i: number) =>
      `| ${m.core ?? '-'}${i === 0 ? ' (this run)' : ` (forced: ${others[i - 1]})`} | ${f(m.sgemmGflops)} | ${f(m.ours)} | ${f(m.torch)} | ${ratio(m.ours, m.torch)} | ${f(m.cpuSecBased.ours)} | ${f(m.cpuSecBased.torch)} | ${ratio(m.cpuSecBased.ours, m.cpuSecBased.torch)} |`;
    console.log(
      [
        '| OpenBLAS core | sgemm GFLOP/s (CPU-s) | ours samples/s | torch samples/s | ours / torch | ours per CPU-s | torch per CPU-s | ours / torch (CPU-s) |',
        '|---|---|---|---|---|---|---|---|',
        ...rows.map(row),
      ].join('\n'),
    );
    console.log(
      JSON.stringify({
        cores: rows.map((m) => m.core),
        ours: rows.map((m) => +m.ours.toFixed(1)),
        torch: rows.map((m) => (m.torch === null ? null : +m.torch.toFixed(1))),
      }),
    );
  }
}

if (!isMainThread && (workerData as WorkerJob | undefined)?.benchWorker) {
  await workerMain(workerData as WorkerJob);
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
