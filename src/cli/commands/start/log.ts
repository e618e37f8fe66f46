// Plain progress lines for a sweep whose stdout is not a terminal (pipes, CI
// logs): no escape codes, one event a line, ASCII only.
import { finiteOrNull, type ActiveTrial, type SweepEvents, type TrialOutcome } from '../../../scheduler/scheduler.js';
import { STEP_TEXT, type Progress } from '../../../pool/messages.js';
import type { TrialParams } from '../../../grid/expand.js';
import { modelLabel } from '../../../study/models.js';

export function describeParams(p: TrialParams): string {
  const parts = [`${modelLabel(p.model, p.boundary)}`, `class ${p.normalClass}`];
  if (p.lambdaKl !== undefined) parts.push(`lambdaKl=${p.lambdaKl}`);
  if (p.lambdaRec !== undefined) parts.push(`lambdaRec=${p.lambdaRec}`);
  if (p.nu !== undefined) parts.push(`nu=${p.nu}`);
  if (p.contamination > 0) parts.push(`contamination=${p.contamination}`);
  parts.push(`seed=${p.seed}`);
  return parts.join(' ');
}

const fmt = (x: number | undefined) => (x === undefined ? '-' : Number.isFinite(x) ? x.toFixed(4) : String(x));

export function progressLine(t: ActiveTrial, p: Progress): string | null {
  const head = `trial ${t.trial.number} [w${t.slot}]`;
  switch (p.type) {
    case 'backend':
      return null;
    case 'step':
      return `${head} ${STEP_TEXT[p.step]}`;
    case 'phase':
      return `${head} ${p.phase === 'pretrain' ? 'pretraining' : 'joint training'}: ${p.epochs} epoch(s)${p.cached ? ' (pretrained weights from cache)' : ''}`;
    case 'epoch': {
      const auroc = p.auroc
        ? ' ' +
          Object.entries(p.auroc)
            .map(([k, v]) => `auroc(${k})=${fmt(v)}`)
            .join(' ')
        : '';
      return `${head} ${p.phase} epoch ${p.epoch}/${p.epochs} loss=${fmt(p.losses.total)}${auroc}`;
    }
  }
}

export function finishLine(t: ActiveTrial, o: TrialOutcome, counts: string): string {
  const head = `trial ${t.trial.number} [w${t.slot}]`;
  const dur = `${o.seconds.toFixed(1)}s`;
  if (o.state === 'COMPLETE') return `${head} COMPLETE value=${fmt(o.value)} (${dur}) ${counts}`;
  if (o.state === 'PRUNED')
    return `${head} PRUNED after joint epoch ${o.pruned?.epoch ?? '?'} (${dur}): ${o.pruned?.reason ?? ''} ${counts}`;
  if (o.state === 'FAIL') return `${head} FAIL (${dur}): ${o.error} ${counts}`;
  return `${head} interrupted, back to WAITING`;
}

export function plainLogger(write: (line: string) => void, counts: () => Promise<string>): SweepEvents {
  const stamp = () => new Date().toISOString().slice(11, 19);
  const out = (s: string) => write(`[${stamp()}] ${s}`);
  const backends = new Map<number, string>();
  return {
    note: (m) => out(m),
    trialStarted: (t) => out(`trial ${t.trial.number} [w${t.slot}] started: ${describeParams(t.trial.params)}`),
    progress: (t, p) => {
      if (p.type === 'backend' && backends.get(t.slot) !== p.backend) {
        backends.set(t.slot, p.backend);
        out(
          `worker ${t.slot}: backend ${p.backend}${p.kernels ? ` [${p.kernels}]` : ''}${p.notes.length ? ` (${p.notes.join('; ')})` : ''}`,
        );
      }
      const line = progressLine(t, p);
      if (line) out(line);
    },
    trialFinished: async (t, o) => out(finishLine(t, o, await counts())),
  };
}

/**
 * `start --json`: one JSON object per line, for scripts and CI. Every object
 * has `event` and `time` (ISO); the events are study, note, backend,
 * trial_started, step, phase, epoch, trial_finished and, last, summary.
 */
export function jsonLogger(
  write: (line: string) => void,
  counts: () => Promise<Readonly<Record<string, number>>>,
  now: () => Date = () => new Date(),
): SweepEvents {
  const emit = (event: string, data: Record<string, unknown>) =>
    write(JSON.stringify({ event, time: now().toISOString(), ...data }));
  const trial = (t: ActiveTrial) => ({ trial: t.trial.number, worker: t.slot });
  return {
    note: (message) => emit('note', { message }),
    trialStarted: (t) => emit('trial_started', { ...trial(t), params: t.trial.params }),
    progress: (t, p) => {
      if (p.type === 'backend')
        emit('backend', { ...trial(t), backend: p.backend, kernels: p.kernels ?? null, notes: p.notes });
      else if (p.type === 'phase')
        emit('phase', { ...trial(t), phase: p.phase, epochs: p.epochs, cached: p.cached ?? false });
      else if (p.type === 'step') emit('step', { ...trial(t), step: p.step });
      else
        emit('epoch', {
          ...trial(t),
          phase: p.phase,
          epoch: p.epoch,
          epochs: p.epochs,
          losses: finiteOrNull(p.losses),
          auroc: p.auroc ? finiteOrNull(p.auroc) : null,
        });
    },
    trialFinished: async (t, o) =>
      emit('trial_finished', {
        ...trial(t),
        state: o.state,
        value: o.value ?? null,
        error: o.error ?? null,
        seconds: o.seconds,
        counts: await counts(),
      }),
  };
}
