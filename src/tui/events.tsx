// `sweep start` with a terminal: the scheduler's events feed the live screen.
// Running trials come from the events (no database reads per epoch); finished
// trials are read once from the database as they end, for the tables.
import type { Storage } from '../storage/storage.js';
import type { Study } from '../study/schema.js';
import type { ActiveTrial, SweepEvents, TrialOutcome } from '../scheduler/scheduler.js';
import type { Progress } from '../pool/messages.js';
import { expandGridAsync } from '../grid/expand.js';
import { unbuiltPretrainings } from './eta.js';
import { TrialState } from '../trial/state.js';
import { backendTag, objectiveOf } from '../trial/attrs.js';
import type { Selection } from '../report/index.js';
import { detectCaps, type Caps } from './caps.js';
import { FinishedTrials, ReportKeeper } from './finished.js';
import type { LiveTrial, LogItem } from './model.js';
import { studyCounts } from './counts.js';
import { SweepStore, initialSnapshot } from './store.js';
import { UiProvider } from './theme.js';
import { App } from './components/App.js';
import { mountScreen, type Mounted } from './mount.js';

export interface TuiContext {
  readonly storage: Storage;
  readonly studyId: number;
  readonly study: Study;
  /** Workers of this run, as the runner was sized (runStart passes it). */
  readonly workers: number;
  /** The sweep's abort signal: the screen shows STOPPING once it fires. */
  readonly signal?: AbortSignal;
  /**
   * What q (after confirming) and Ctrl-C do: stop the sweep exactly as Ctrl-C
   * in a plain terminal does. The terminal is in raw mode while the screen is
   * up, so Ctrl-C sends no SIGINT; without this the screen raises SIGINT
   * itself, which reaches the CLI's own handler.
   */
  readonly interrupt?: () => void;
  readonly stdout?: NodeJS.WriteStream;
  readonly stdin?: NodeJS.ReadStream;
  readonly caps?: Caps;
  /** Repaint interval (ms); 100 gives at most 10 renders a second. */
  readonly intervalMs?: number;
  /** Trials of a share key reuse one cached pretraining (the study's pretrainCache and a cache folder); default: the study's pretrainCache. */
  readonly sharedPretraining?: boolean;
}

export interface TuiEvents extends SweepEvents {
  /** Paints the last frame and gives the terminal back. Call once runStart returned. */
  unmount(): void;
  readonly store: SweepStore;
}

export async function createTuiEvents(ctx: TuiContext): Promise<TuiEvents> {
  const { storage, studyId, study } = ctx;
  const { workers } = ctx;
  const finished = new FinishedTrials();
  // Everything read before the screen mounts: the first frame is complete.
  finished.replaceAll(await storage.getTrials(studyId, [TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED]));
  const counts = await studyCounts(storage, studyId);
  const studyRow = (await storage.getStudy(study.name)) ?? {
    name: study.name,
    systemAttrs: { definition: study as never },
  };
  const now = Date.now();
  const summary = finished.summary(now);
  // A chunk at a time (a 10^5-point grid takes seconds): signals are heard meanwhile; the stop itself comes after.
  const points = await expandGridAsync(study.grid);
  const shared = ctx.sharedPretraining ?? study.pretrainCache;

  const initial = initialSnapshot(
    {
      mode: 'start',
      study: study.name,
      dataset: study.dataset.name,
      objective: study.objective,
      workers,
      epochs: { pretrain: study.training.pretrainEpochs, joint: study.training.jointEpochs },
      counts,
      points: points.length,
      failed: summary.failed,
      meanSeconds: summary.meanSeconds,
      costs: summary.costs,
      unbuilt: unbuiltPretrainings(points, finished.trials(), [], shared),
      finishedAt: summary.finishedAt,
      stopping: ctx.signal?.aborted ?? false,
    },
    now,
  );
  const store = new SweepStore(initial, ctx.intervalMs ?? 100);
  const keeper = new ReportKeeper(
    studyRow,
    () => finished.trials(),
    (report, reportError, select) =>
      store.update((d) => {
        d.report = report;
        d.reportError = reportError;
        d.select = select;
      }),
  );
  keeper.computeNow();

  const live = new Map<number, LiveTrial>();
  const publishRunning = () =>
    store.update((d) => {
      d.running = [...live.values()];
    });
  // After every start and finish: which pretrainings the waiting trials still need.
  const recountPretrainings = () =>
    store.update((d) => {
      d.unbuilt = unbuiltPretrainings(
        points,
        finished.trials(),
        [...live.values()].map((t) => t.params),
        shared,
      );
    });
  // One count in flight at a time; a recount asked for meanwhile runs once
  // after it. Never rejects: a failed read keeps the last counts (the
  // scheduler itself reports a database that fails).
  let counting: Promise<void> | null = null;
  let countAgain = false;
  const recount = (): Promise<void> => {
    if (counting) {
      countAgain = true;
      return counting;
    }
    counting = (async () => {
      do {
        countAgain = false;
        const c = await studyCounts(storage, studyId);
        store.update((d) => {
          d.counts = c;
        });
      } while (countAgain);
    })()
      .catch(() => undefined)
      .finally(() => (counting = null));
    return counting;
  };
  const log = (item: LogItem) =>
    store.update((d) => {
      d.log = [...d.log, item];
    });
  let notes = 0;

  const onAbort = () => store.update((d) => void (d.stopping = true));
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  const clock = setInterval(() => store.tick(), 1000);
  clock.unref();

  const interrupt = ctx.interrupt ?? (() => process.kill(process.pid, 'SIGINT'));
  const caps = ctx.caps ?? detectCaps();
  const screen: Mounted | null = mountScreen(
    <UiProvider caps={caps}>
      <App
        store={store}
        onQuit={() => interrupt()}
        onStop={() => {
          store.update((d) => void (d.stopping = true));
          interrupt();
        }}
        onSelect={(s: Selection) => keeper.setSelect(s)}
        canSelectDefault={study.defaultPoint !== undefined}
      />
    </UiProvider>,
    store,
    { stdout: ctx.stdout ?? process.stdout, stdin: ctx.stdin ?? process.stdin },
  );
  let mounted = true;

  return {
    store,
    trialStarted(t: ActiveTrial) {
      live.set(t.trial.id, {
        trialId: t.trial.id,
        number: t.trial.number,
        worker: t.slot,
        params: t.trial.params,
        startedAt: t.startedAt,
        backend: store.draft.backends[t.slot] ?? null,
        phase: 'starting',
        epoch: 0,
        epochs: null,
        cached: false,
        losses: null,
        auroc: [],
      });
      publishRunning();
      // Not awaited: trialStarted is a plain event; recount never rejects and runs one at a time.
      void recount();
      recountPretrainings();
    },
    progress(t: ActiveTrial, p: Progress) {
      const cur = live.get(t.trial.id);
      if (!cur) return;
      let next: LiveTrial = cur;
      if (p.type === 'backend') {
        const tag = backendTag(p.backend, p.kernels);
        next = { ...cur, backend: tag };
        store.update((d) => {
          const b = [...d.backends];
          b[t.slot] = tag;
          d.backends = b;
        });
      } else if (p.type === 'step') {
        next = { ...cur, step: p.step };
      } else if (p.type === 'phase') {
        next = { ...cur, phase: p.phase, epoch: 0, epochs: p.epochs, cached: cur.cached || (p.cached ?? false) };
      } else if (p.type === 'epoch') {
        const score = objectiveOf(t.trial.params.model, study.objective);
        const a = p.auroc?.[score];
        next = {
          ...cur,
          phase: p.phase,
          epoch: p.epoch,
          epochs: p.epochs,
          losses: p.losses,
          auroc: a === undefined ? cur.auroc : [...cur.auroc, a],
        };
      }
      live.set(t.trial.id, next);
      publishRunning();
    },
    async trialFinished(t: ActiveTrial, o: TrialOutcome) {
      live.delete(t.trial.id);
      publishRunning();
      log({
        key: `t${t.trial.id}:${o.state}:${Date.now()}`,
        kind: o.state,
        number: t.trial.number,
        worker: t.slot,
        params: t.trial.params,
        value: o.value ?? null,
        error: o.error ? o.error.split('\n')[0] : null,
        seconds: o.seconds,
      });
      if (o.state !== 'INTERRUPTED') {
        // The scheduler wrote the outcome before telling us: read it back once.
        if (finished.add(await storage.getTrial(t.trial.id))) {
          const s = finished.summary(Date.now());
          store.update((d) => {
            d.failed = s.failed;
            d.meanSeconds = s.meanSeconds;
            d.costs = s.costs;
            d.finishedAt = s.finishedAt;
          });
          keeper.invalidate();
        }
      }
      await recount();
      recountPretrainings();
    },
    note(message: string) {
      log({ key: `note${notes++}`, kind: 'note', text: message });
    },
    unmount() {
      if (!mounted) return;
      mounted = false;
      ctx.signal?.removeEventListener('abort', onAbort);
      clearInterval(clock);
      keeper.dispose();
      screen.finish();
    },
  };
}
