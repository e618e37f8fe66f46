// `sweep monitor`: the live screen fed by polling the database another
// process writes. Reads only, each one short (the storage opens the file
// read-only in WAL mode: readers never block the writer). Finished trials
// never change, so each is read once: a poll reads the counts and the few
// RUNNING trials, fetches the trials that just left RUNNING, and reloads all
// finished trials only when the counts show it missed some, spaced by their
// cost so a 3000-trial study is not re-read every second.
import type { Storage, StudySummary } from '../storage/storage.js';
import { expandGrid, type GridPoint } from '../grid/expand.js';
import { unbuiltPretrainings } from './eta.js';
import { TrialState } from '../trial/state.js';
import { studyCounts } from './counts.js';
import { FinishedTrials, ReportKeeper } from './finished.js';
import { definitionOf, liveFromStored, logItemOf, type LiveTrial } from './model.js';
import { SweepStore, initialSnapshot } from './store.js';

export interface MonitorFeedOptions {
  readonly storage: Storage;
  readonly study: StudySummary;
  readonly pollMs?: number;
  /** Repaint interval of the store (ms). */
  readonly intervalMs?: number;
  /** Never reload all finished trials more often than this (ms); it also grows with their cost. */
  readonly minReloadMs?: number;
  /**
   * The grid's points, when the caller expanded them already: a 10^5-point
   * grid takes seconds, which runMonitor spends a chunk at a time (a signal
   * is heard meanwhile) rather than here in one block.
   */
  readonly points?: GridPoint[];
}

export class MonitorFeed {
  readonly store: SweepStore;
  readonly keeper: ReportKeeper;
  readonly #storage: Storage;
  readonly #studyId: number;
  readonly #def;
  readonly #objective;
  readonly #pollMs: number;
  readonly #minReloadMs: number;
  readonly #finished = new FinishedTrials();
  readonly #points: GridPoint[];
  /** Display slot of each RUNNING trial we know: stable while it runs. */
  readonly #slots = new Map<number, number>();
  #reloadGap: number;
  #lastReload = -Infinity;
  #timer: NodeJS.Timeout | null = null;
  #polls = 0;
  /** The poll under way, if any: polls never overlap (a slow database delays the next one instead). */
  #inFlight: Promise<void> | null = null;
  #started = false;

  constructor(opts: MonitorFeedOptions) {
    this.#storage = opts.storage;
    this.#studyId = opts.study.id;
    this.#def = definitionOf(opts.study.systemAttrs);
    this.#objective = this.#def?.objective ?? 'svdd';
    this.#pollMs = opts.pollMs ?? 1000;
    this.#minReloadMs = opts.minReloadMs ?? 5000;
    this.#reloadGap = this.#minReloadMs;
    try {
      this.#points = opts.points ?? (this.#def ? expandGrid(this.#def.grid) : []);
    } catch {
      this.#points = [];
    }
    const points = this.#points.length;
    const initial = initialSnapshot({
      mode: 'monitor',
      study: opts.study.name,
      dataset: this.#def?.dataset.name ?? null,
      objective: this.#objective,
      workers: this.#def?.workers ?? 1,
      epochs: { pretrain: this.#def?.training.pretrainEpochs ?? null, joint: this.#def?.training.jointEpochs ?? null },
      counts: { complete: 0, running: 0, waiting: 0, failed: 0, pruned: 0 },
      points,
      failed: [],
      meanSeconds: null,
      costs: null,
      unbuilt: null,
      finishedAt: [],
      stopping: false,
    });
    this.store = new SweepStore(initial, opts.intervalMs ?? 100);
    this.keeper = new ReportKeeper(
      opts.study,
      () => this.#finished.trials(),
      (report, reportError, select) =>
        this.store.update((d) => {
          d.report = report;
          d.reportError = reportError;
          d.select = select;
        }),
    );
  }

  /** The database does not say whether the writer shares pretraining (--no-cache): the study's setting is taken. */
  #unbuilt(live: readonly LiveTrial[]): number | null {
    return unbuiltPretrainings(
      this.#points,
      this.#finished.trials(),
      live.map((t) => t.params),
      this.#def?.pretrainCache ?? false,
    );
  }

  get pollMs(): number {
    return this.#pollMs;
  }

  get hasDefaultPoint(): boolean {
    return this.#def?.defaultPoint !== undefined;
  }

  /** Polls now, then pollMs after each poll ends (never two at once). */
  start(): void {
    this.#started = true;
    const next = () => {
      this.#timer = null;
      if (!this.#started) return;
      void this.poll().then(() => {
        if (this.#started) this.#timer = setTimeout(next, this.#pollMs);
      });
    };
    next();
  }

  /** Stops polling; resolves once a poll under way has ended, so the storage can be closed after it. */
  async stop(): Promise<void> {
    this.#started = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.keeper.dispose();
    await this.#inFlight;
  }

  /**
   * One round of reads; a call while one is under way joins it. Never
   * rejects: errors (a locked or vanished file) are shown, and the next poll
   * tries again.
   */
  /** One read of the database; `reload` reads every finished trial even within the reload gap (a last poll). */
  poll(reload = false): Promise<void> {
    this.#inFlight ??= this.#poll(reload).finally(() => (this.#inFlight = null));
    return this.#inFlight;
  }

  async #poll(reload = false): Promise<void> {
    const now = Date.now();
    try {
      const counts = await studyCounts(this.#storage, this.#studyId);
      // Not a trial Optuna runs in this study: its params are not a grid point of ours.
      const running = (await this.#storage.getTrials(this.#studyId, [TrialState.RUNNING])).filter(
        (t) => t.gridPoint !== '',
      );
      const logs: ReturnType<typeof logItemOf>[] = [];
      let changed = false;

      // Trials that left RUNNING since the last poll: read each once.
      const runningIds = new Set(running.map((t) => t.id));
      for (const [id, slot] of [...this.#slots]) {
        if (runningIds.has(id)) continue;
        this.#slots.delete(id);
        const t = await this.#storage.getTrial(id);
        if (this.#finished.add(t)) changed = true;
        if (t.state !== TrialState.RUNNING) logs.push(logItemOf(t, slot));
      }
      for (const t of running) {
        if (this.#slots.has(t.id)) continue;
        const used = new Set(this.#slots.values());
        let slot = 0;
        while (used.has(slot)) slot++;
        this.#slots.set(t.id, slot);
      }

      // Missed some (the first poll, or trials that started and ended between polls): reload.
      const missed =
        this.#finished.count(TrialState.COMPLETE) !== counts.complete ||
        this.#finished.count(TrialState.FAIL) !== counts.failed ||
        this.#finished.count(TrialState.PRUNED) !== counts.pruned;
      if (missed && (reload || now - this.#lastReload >= this.#reloadGap)) {
        const t0 = Date.now();
        const all = await this.#storage.getTrials(this.#studyId, [
          TrialState.COMPLETE,
          TrialState.FAIL,
          TrialState.PRUNED,
        ]);
        // Trials that started and ended between two polls were never seen
        // running: they get their log line now (not on the first poll, which
        // reads the study's whole past).
        if (this.#polls > 0) {
          const logged = new Set(logs.map((l) => l.number));
          for (const t of all)
            if (t.gridPoint !== '' && !this.#finished.has(t.id) && !logged.has(t.number)) logs.push(logItemOf(t, null));
        }
        this.#finished.replaceAll(all);
        this.#lastReload = Date.now();
        this.#reloadGap = Math.max(this.#minReloadMs, 20 * (this.#lastReload - t0));
        changed = true;
      }

      const live: LiveTrial[] = running.map((t) =>
        liveFromStored(t, this.#slots.get(t.id)!, this.#def, this.#objective, now),
      );
      const workers = Math.max(this.#def?.workers ?? 1, ...live.map((t) => t.worker + 1));
      const summary = changed || this.#polls === 0 ? this.#finished.summary(now) : null;
      const firstStart = Math.min(summary?.earliestStart ?? this.store.draft.since, ...live.map((t) => t.startedAt));
      this.store.update((d) => {
        d.counts = counts;
        d.running = live;
        d.workers = workers;
        d.backends = Array.from(
          { length: workers },
          (_, i) => live.find((t) => t.worker === i)?.backend ?? d.backends[i] ?? null,
        );
        if (logs.length) d.log = [...d.log, ...logs];
        if (summary) {
          d.failed = summary.failed;
          d.meanSeconds = summary.meanSeconds;
          d.costs = summary.costs;
          d.finishedAt = summary.finishedAt;
        }
        d.unbuilt = this.#unbuilt(live);
        d.since = firstStart;
        // Throughput evidence starts at the earliest start among what ran in the last hour.
        const recent = [summary?.earliestStartInHour ?? Infinity, ...live.map((t) => t.startedAt)];
        d.rateSince = Math.min(...recent, now);
        d.stale = null;
      });
      if (changed) this.keeper.invalidate();
      this.#polls++;
    } catch (err) {
      const msg = (err as Error).message ?? String(err);
      this.store.update((d) => {
        d.stale = `read failed, retrying (${msg.split('\n')[0]})`;
      });
    }
  }
}
