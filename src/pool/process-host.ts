// A child process that hosts one worker module (the GPU path): native
// TensorFlow reads CUDA_VISIBLE_DEVICES and TF_FORCE_GPU_ALLOW_GROWTH once
// per process and is unreliable in a second worker thread (tfjs issue 8388),
// so each GPU gets a process of its own, running one trial at a time on its
// main thread. The parent sets the environment before this process starts,
// hence before TensorFlow loads.
import { MessageChannel } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { TrialTask } from './messages.js';
import { isEndMarker, isStopQuestion, isStopVerdict, type StopVerdict } from '../training/worker-side.js';

type Incoming = { type: 'run'; task: TrialTask } | { type: 'verdict'; verdict: StopVerdict };

const workerFile = process.argv[2];
if (!workerFile || !process.send) {
  process.stderr.write('process-host: run me with child_process.fork(host, [workerFile])\n');
  process.exit(2);
}

const mod = (await import(pathToFileURL(workerFile).href)) as {
  default: (input: { task: TrialTask; port: import('node:worker_threads').MessagePort }) => Promise<unknown>;
};

// The port of the trial running now: the parent's verdicts go to it.
let current: MessageChannel['port1'] | null = null;

process.on('message', (msg: Incoming) => {
  if (msg.type === 'verdict') {
    if (isStopVerdict(msg.verdict)) current?.postMessage(msg.verdict);
    return;
  }
  if (msg.type !== 'run') return;
  // The worker function speaks to a MessagePort; relay it to the parent over IPC.
  const { port1, port2 } = new MessageChannel();
  current = port1;
  port1.on('message', (m: unknown) => {
    if (isStopQuestion(m)) process.send!({ type: 'ask', question: m });
    else process.send!({ type: isEndMarker(m) ? 'end' : 'progress', progress: m });
  });
  mod.default({ task: msg.task, port: port2 }).then(
    (result) => process.send!({ type: 'result', result }),
    (err: Error) =>
      process.send!({
        type: 'error',
        error: { name: err?.name, message: err?.message ?? String(err), stack: err?.stack },
      }),
  );
});
process.send({ type: 'ready' });
