// Finished trials, kept by id. A finished trial never changes (trial/state.ts),
// so once read it is never read again: the feeders fetch only the trials that
// just ended, and the report is rebuilt from this cache.
import type { FrozenTrial, StudySummary } from '../storage/storage.js';
import { buildReport, type ReportModel, type Selection } from '../report/index.js';
import { TrialState, isFinished } from '../trial/state.js';
import { failedOf, trialSeconds, type FailedTrial } from './model.js';
import { finishedCostOf, trialCosts, type FinishedCost, type TrialCosts } from './eta.js';

export interface FinishedSummary {
  readonly meanSeconds: number | null;
  /** Expected cost of a remaining trial, pretraining or cached. */
  readonly costs: TrialCosts | null;
  /** Completion times (ms) within the last hour before `now`. */
  readonly finishedAt: readonly number[];
  /** Start times (ms) of those trials: where the throughput evidence begins. */
  readonly earliestStartInHour: number | null;
  readonly earliestStart: number | null;
  readonly failed: readonly FailedTrial[];
}

export class FinishedTrials {
  #byId = new Map<number, FrozenTrial>();

  get size(): number {
    return this.#byId.size;
  }

  has(id: number): boolean {
    return this.#byId.has(id);
  }

  /** Adds a trial if it is finished; returns whether the cache changed. */
  add(t: FrozenTrial): boolean {
    // Trials without our grid point (added from Optuna) are not ours to show or count.
    if (!isFinished(t.state) || t.gridPoint === '' || this.#byId.has(t.id)) return false;
    this.#byId.set(t.id, t);
    return true;
  }

  replaceAll(trials: readonly FrozenTrial[]): void {
    this.#byId = new Map(trials.filter((t) => isFinished(t.state) && t.gridPoint !== '').map((t) => [t.id, t]));
  }

  trials(): FrozenTrial[] {
    return [...this.#byId.values()];
  }

  count(state: TrialState): number {
    let n = 0;
    for (const t of this.#byId.values()) if (t.state === state) n++;
    return n;
  }

  summary(now: number): FinishedSummary {
    let sum = 0;
    let n = 0;
    const finishedAt: number[] = [];
    let earliestStartInHour: number | null = null;
    let earliestStart: number | null = null;
    const failed: FailedTrial[] = [];
    const costs: FinishedCost[] = [];
    for (const t of this.#byId.values()) {
      // Durations of COMPLETE and FAIL trials alike: a failing point also holds a worker.
      if (t.state !== TrialState.PRUNED) {
        const s = trialSeconds(t);
        if (s !== null) {
          sum += s;
          n++;
        }
        const c = finishedCostOf(t, s);
        if (c) costs.push(c);
      }
      const start = t.startedAt?.getTime() ?? null;
      if (start !== null && (earliestStart === null || start < earliestStart)) earliestStart = start;
      const end = t.completedAt?.getTime();
      if (end !== undefined && end > now - 3600_000) {
        finishedAt.push(end);
        if (start !== null && (earliestStartInHour === null || start < earliestStartInHour))
          earliestStartInHour = start;
      }
      if (t.state === TrialState.FAIL) failed.push(failedOf(t));
    }
    failed.sort((a, b) => a.number - b.number);
    return {
      meanSeconds: n > 0 ? sum / n : null,
      costs: trialCosts(costs),
      finishedAt,
      earliestStartInHour,
      earliestStart,
      failed,
    };
  }
}

/**
 * Rebuilds the report model from the cache, never more often than every
 * `minGapMs`, and spaced by ten times its own cost (a 3000-trial study must
 * not spend its main thread on tables). The result is the same model
 * `sweep export` renders, so both show the same numbers.
 */
export class ReportKeeper {
  #timer: NodeJS.Timeout | null = null;
  #last = 0;
  #gap: number;
  readonly #minGap: number;
  #select: Selection;
  #disposed = false;

  constructor(
    private readonly study: Pick<StudySummary, 'name' | 'systemAttrs'>,
    private readonly source: () => readonly FrozenTrial[],
    private readonly publish: (report: ReportModel | null, error: string | null, select: Selection) => void,
    opts: { minGapMs?: number; select?: Selection } = {},
  ) {
    this.#minGap = opts.minGapMs ?? 1000;
    this.#gap = this.#minGap;
    this.#select = opts.select ?? 'oracle';
  }

  get select(): Selection {
    return this.#select;
  }

  setSelect(select: Selection): void {
    this.#select = select;
    this.computeNow();
  }

  /** The finished trials changed: rebuild soon. */
  invalidate(): void {
    if (this.#timer || this.#disposed) return;
    const wait = Math.max(0, this.#last + this.#gap - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.computeNow();
    }, wait);
    this.#timer.unref?.();
  }

  computeNow(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#disposed) return;
    const t0 = Date.now();
    try {
      const report = buildReport({ study: this.study, trials: this.source() }, { select: this.#select });
      this.publish(report, null, this.#select);
    } catch (err) {
      this.publish(null, (err as Error).message ?? String(err), this.#select);
    }
    this.#last = Date.now();
    this.#gap = Math.max(this.#minGap, 10 * (this.#last - t0));
  }

  dispose(): void {
    this.#disposed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
