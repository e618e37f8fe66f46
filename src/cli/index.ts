#!/usr/bin/env node
// The entry point: the only file that reads argv and the only one that exits.
// Commands are functions with typed options that throw typed errors.
import { parseArgs } from 'node:util';
import { InterruptedError, SweepError, UserInputError } from '../errors/index.js';
import type { TuiEvents } from '../tui/index.js';

// Signals are caught before anything else loads (the commands are imported
// lazily below), so a stop is clean at every moment: while loading, decoding
// data, training or exporting. The first SIGINT, SIGTERM or SIGHUP aborts
// `stop`; each command stops at its next safe point (`start` puts running
// trials back to WAITING). A second signal exits at once.
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type StopSignal = keyof typeof SIGNALS;
const stop = new AbortController();
/** What a command says when the first signal arrives (set by `start`). */
let onFirstStop: ((sig: StopSignal) => void) | undefined;
function stopSignal(sig: StopSignal): void {
  if (stop.signal.aborted) process.exit(128 + SIGNALS[sig]);
  onFirstStop?.(sig);
  stop.abort(new InterruptedError(sig, SIGNALS[sig]));
}
for (const sig of Object.keys(SIGNALS) as StopSignal[]) process.on(sig, () => stopSignal(sig));
// After a hang-up the terminal is gone: writes to it fail (EIO, EPIPE), which
// must not turn a clean stop into a crash.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

/** Rejects with the InterruptedError when the first signal arrives. */
function untilStopped(): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(stop.signal.reason as InterruptedError);
    if (stop.signal.aborted) fail();
    else stop.signal.addEventListener('abort', fail, { once: true });
  });
}

/** Runs a command that has no clean-stop steps of its own: a signal ends it where it is (exit 128 + n). */
function stoppable<T>(work: () => Promise<T>): Promise<T> {
  stop.signal.throwIfAborted();
  return Promise.race([work(), untilStopped()]);
}

const USAGE = `usage: sweep <command> [options]

commands:
  start <study.json>     queue the study's grid and run it (resumes where it stopped)
      --db PATH            SQLite file (default: the study's "storage", else db/<name>.sqlite3)
      --workers N          parallel trials (default: the study's "workers", else one per core on wasm/cpu, one per GPU)
      --backend NAME       auto | tensorflow-gpu | tensorflow | wasm | cpu
      --cache-dir DIR      decoded data and pretrained weights (default .cache); --no-cache disables both
      --stale-after SEC    a worker silent this long is hung: stopped, its trial FAILs; a RUNNING trial
                           of another process without heartbeat this long is re-queued (default 60)
  monitor <study>        watch a running study from its database (read-only; q quits)
      --db PATH
  status <study>         counts per state, best trial (study file or name)
      --db PATH
  export <study>         write the paper's tables to reports/
      --db PATH  --out DIR  --format md,csv,json  --select oracle|default|median
      --score svdd|rec|svdd+rec  --compare paper  --no-figures
  data list              each data set: where it was found, size, checksum, or how to get it
  data fetch <name>      download fashion-mnist or cifar10 (resumes, verifies checksums)
      --dest DIR  --url URL
  help                   this text

SIGINT, SIGTERM and SIGHUP stop any command cleanly (start: running trials back to WAITING, exit 0;
others: exit 128 + the signal's number); a second signal exits at once.
`;

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UserInputError(`expected a positive whole number, got "${v}"`, `--${name}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (line: string) => process.stdout.write(line + '\n');
  switch (command) {
    case 'start': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          db: { type: 'string' },
          workers: { type: 'string' },
          backend: { type: 'string' },
          'cache-dir': { type: 'string' },
          'no-cache': { type: 'boolean' },
          'stale-after': { type: 'string' },
        },
      });
      const studyFile = onePositional(positionals, 'start <study.json>');
      const { BackendChoice } = await import('../study/schema.js');
      const { runStart, summaryLine } = await import('./commands/start/index.js');
      const backend = values.backend === undefined ? undefined : BackendChoice.safeParse(values.backend);
      if (backend && !backend.success)
        throw new UserInputError(`unknown backend "${values.backend}" (use ${BackendChoice.options.join(', ')})`, '--backend');
      // In a terminal the live screen (src/tui) shows the stop itself, and sends
      // Ctrl-C and q here (its raw mode turns Ctrl-C into a key, not SIGINT).
      let tui: TuiEvents | undefined;
      onFirstStop = (sig) => {
        if (!tui) process.stderr.write(`\n${sig}: stopping: no new trials; running trials are aborted and queued again (a second signal quits at once)\n`);
      };
      const interrupt = () => stopSignal('SIGINT');
      const screen = process.stdout.isTTY ? await import('../tui/index.js') : undefined;
      let result;
      try {
        result = await runStart({
          studyFile,
          db: values.db,
          workers: positiveInt('workers', values.workers),
          backend: backend?.data,
          cacheDir: values['no-cache'] ? null : values['cache-dir'],
          staleSeconds: positiveInt('stale-after', values['stale-after']),
          signal: stop.signal,
          write: out,
          events: screen && ((ctx) => (tui = screen.createTuiEvents({ ...ctx, signal: stop.signal, interrupt }))),
        });
      } finally {
        tui?.unmount();
      }
      out(summaryLine(result));
      return result.failed > 0 && !result.interrupted && result.completed === 0 ? 1 : 0;
    }
    case 'monitor': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { db: { type: 'string' } } });
      const { runMonitor } = await import('./commands/monitor/index.js');
      // Stopping is how a monitor ends: exit 0.
      await runMonitor({ target: onePositional(positionals, 'monitor <study>'), db: values.db, signal: stop.signal });
      return 0;
    }
    case 'status': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { db: { type: 'string' } } });
      const { runStatus } = await import('./commands/status/index.js');
      await stoppable(async () => runStatus({ target: onePositional(positionals, 'status <study>'), db: values.db, write: out }));
      return 0;
    }
    case 'export': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          db: { type: 'string' },
          out: { type: 'string' },
          format: { type: 'string' },
          select: { type: 'string' },
          score: { type: 'string' },
          compare: { type: 'string' },
          'no-figures': { type: 'boolean' },
        },
      });
      const { runExportCommand } = await import('./commands/export/cli.js');
      await stoppable(() => runExportCommand({ target: onePositional(positionals, 'export <study>'), ...values, write: out }));
      return 0;
    }
    case 'data': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { dest: { type: 'string' }, url: { type: 'string' } },
      });
      const [action, name, ...extra] = positionals;
      if (!action || extra.length > 0) throw new UserInputError('usage: sweep data list | sweep data fetch <name> [--dest DIR] [--url URL]');
      const { runData } = await import('./commands/data/index.js');
      let last = 0;
      await stoppable(() => runData({
        action,
        name,
        dest: values.dest,
        url: values.url,
        write: out,
        progress: process.stderr.isTTY
          ? (line) => {
              if (Date.now() - last < 100) return;
              last = Date.now();
              process.stderr.write(`\r\x1b[K${line}`);
            }
          : undefined,
      }));
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UserInputError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

function onePositional(positionals: string[], usage: string): string {
  if (positionals.length !== 1)
    throw new UserInputError(`expected exactly one argument: sweep ${usage} (got ${positionals.length})`);
  return positionals[0]!;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof SweepError) {
      process.stderr.write(`sweep: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    // parseArgs reports unknown options with a code of its own.
    const code = (err as NodeJS.ErrnoException)?.code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`sweep: ${(err as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`sweep: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(70);
  },
);
