// The snapshot store between the feeders and React. Feeders change a draft as
// often as events come (8 workers can send dozens of progress messages a
// second); subscribers are told at most once per `intervalMs`, so the screen
// renders about 10 times a second however busy the sweep is.
import type { SweepSnapshot } from './model.js';

type Draft = { -readonly [K in keyof SweepSnapshot]: SweepSnapshot[K] };

export class SweepStore {
  #draft: Draft;
  #snapshot: SweepSnapshot;
  #listeners = new Set<() => void>();
  #timer: NodeJS.Timeout | null = null;
  #lastFlush = 0;
  #closed = false;

  constructor(
    initial: SweepSnapshot,
    private readonly intervalMs = 100,
    private readonly clock: () => number = Date.now,
  ) {
    this.#draft = { ...initial };
    this.#snapshot = Object.freeze({ ...initial });
  }

  /** For useSyncExternalStore: the same object until the next flush. */
  readonly getSnapshot = (): SweepSnapshot => this.#snapshot;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** The draft as it is now (feeders read their own writes through it). */
  get draft(): Readonly<Draft> {
    return this.#draft;
  }

  /**
   * Changes the draft. Arrays and objects in it are replaced, never mutated in
   * place, so a snapshot already handed out never changes under a render.
   */
  update(change: (draft: Draft) => void): void {
    if (this.#closed) return;
    change(this.#draft);
    this.#schedule();
  }

  /** Publishes now (tests, the last frame before unmount). */
  flush(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#lastFlush = this.clock();
    this.#snapshot = Object.freeze({ ...this.#draft, now: this.#lastFlush });
    for (const l of [...this.#listeners]) l();
  }

  /** Publishes once more so clocks (elapsed, ETA) move even when nothing happens. */
  tick(): void {
    this.update(() => {});
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#listeners.clear();
  }

  #schedule(): void {
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastFlush + this.intervalMs - this.clock());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.flush();
    }, wait);
    // A pending repaint must not keep the process alive on its own.
    this.#timer.unref?.();
  }
}

/** What differs between the start screen's first snapshot and the monitor's; the rest starts empty. */
export type SnapshotStart = Pick<
  SweepSnapshot,
  | 'mode'
  | 'study'
  | 'dataset'
  | 'objective'
  | 'workers'
  | 'epochs'
  | 'counts'
  | 'points'
  | 'failed'
  | 'meanSeconds'
  | 'costs'
  | 'unbuilt'
  | 'finishedAt'
  | 'stopping'
>;

export function initialSnapshot(start: SnapshotStart, now = Date.now()): SweepSnapshot {
  return {
    ...start,
    running: [],
    backends: Array.from({ length: start.workers }, () => null),
    log: [],
    since: now,
    rateSince: now,
    now,
    report: null,
    reportError: null,
    select: 'oracle',
    stale: null,
  };
}
