// Numbers and times as the screen prints them, and the header's estimates
// (throughput; the ETA is worked out in eta.ts). Pure, so what the header
// claims is tested on its own.
import type { Eta } from './eta.js';

/** 42s, 3m05s, 2h07m, 3d04h: two units at most, the screen has little room. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  const d = Math.floor(h / 24);
  return `${d}d${String(h % 24).padStart(2, '0')}h`;
}

/** Three decimals, the paper's precision; "-" for a missing value. */
export function fmt3(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(3);
}

/** A loss term in at most 7 cells: 0.0123, 12.35, 1.2e-5, 3.4e+4. */
export function fmtLoss(x: number | null | undefined): string {
  if (x === null || x === undefined) return '-';
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 1e-3 && a < 1e4)
    return x
      .toPrecision(3)
      .replace(/(\.\d*?)0+$/, '$1')
      .replace(/\.$/, '');
  return x.toExponential(1).replace('e+', 'e');
}

/** A hyperparameter as written in study files: 0.001, 1, 1e-5. */
export function fmtParam(x: number | undefined | null): string {
  if (x === undefined || x === null) return '-';
  return String(x);
}

export function formatEta(e: Eta): string {
  switch (e.kind) {
    case 'first':
      return 'ETA: after first trial';
    case 'done':
      return 'ETA: done';
    case 'idle':
      return 'ETA: - (nothing running)';
    case 'eta':
      return `ETA: ${formatDuration(e.seconds)}`;
  }
}

/**
 * Finished trials per hour over the last hour, or over the time since
 * `since` when that is shorter (a sweep that started ten minutes ago has ten
 * minutes of evidence, not an hour). Null when there is no evidence yet.
 */
export function trialsPerHour(finishedAt: readonly number[], since: number, now: number): number | null {
  const windowStart = Math.max(now - 3600_000, since);
  const span = now - windowStart;
  if (span < 1000) return null;
  let n = 0;
  for (const t of finishedAt) if (t >= windowStart && t <= now) n++;
  if (n === 0) return null;
  return (n * 3600_000) / span;
}

export function formatRate(r: number | null): string {
  if (r === null) return '-/h';
  return r >= 10 ? `${Math.round(r)}/h` : `${r.toFixed(1)}/h`;
}
