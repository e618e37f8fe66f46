#!/usr/bin/env node
// The entry point: the only file that reads argv and the only one that exits.
// Commands are functions with typed options that throw typed errors.
import { parseArgs } from 'node:util';
import { InterruptedError, SweepError, UserInputError } from '../errors/index.js';
import type { TuiEvents } from '../tui/index.js';
import { commandHelp, usage } from './help.js';
import { projectVersion } from './version.js';

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

/** Exit codes (README "Exit codes"; help.ts lists them). */
const EXIT_TRIALS_FAILED = 3;

const USAGE = usage();

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new UserInputError(`expected a positive whole number, got "${v}"`, `--${name}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (line: string) => process.stdout.write(line + '\n');
  if (command === '--version' || command === '-V') {
    out(projectVersion() ?? 'unknown');
    return 0;
  }
  // `sweep <command> --help` (before its own options are parsed, which would refuse --help).
  if (command !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    const help = commandHelp(command);
    if (help === null) throw new UserInputError(`unknown command "${command}"\n\n${USAGE}`);
    out(help);
    return 0;
  }
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
          'rerun-pruned': { type: 'boolean' },
          'max-points': { type: 'string' },
          'no-run': { type: 'boolean' },
          'host-id': { type: 'string' },
          json: { type: 'boolean' },
        },
      });
      const studyFile = onePositional(positionals, 'start <study.json>');
      const hostId = await hostIdOf(values['host-id']);
      const { BackendChoice } = await import('../study/schema.js');
      const { runStart, summaryLine } = await import('./commands/start/index.js');
      const backend = values.backend === undefined ? undefined : BackendChoice.safeParse(values.backend);
      if (backend && !backend.success)
        throw new UserInputError(
          `unknown backend "${values.backend}" (use ${BackendChoice.options.join(', ')})`,
          '--backend',
        );
      // In a terminal the live screen (src/tui) shows the stop itself, and sends
      // Ctrl-C and q here (its raw mode turns Ctrl-C into a key, not SIGINT).
      let tui: TuiEvents | undefined;
      onFirstStop = (sig) => {
        if (!tui)
          process.stderr.write(
            `\n${sig}: stopping: no new trials; running trials are aborted and queued again (a second signal quits at once)\n`,
          );
      };
      const interrupt = () => stopSignal('SIGINT');
      const json = values.json === true;
      const noRun = values['no-run'] === true;
      const screen = process.stdout.isTTY && !json && !noRun ? await import('../tui/index.js') : undefined;
      let result;
      try {
        result = await runStart({
          studyFile,
          db: values.db,
          workers: positiveInt('workers', values.workers),
          backend: backend?.data,
          cacheDir: values['no-cache'] ? null : values['cache-dir'],
          staleSeconds: positiveInt('stale-after', values['stale-after']),
          rerunPruned: values['rerun-pruned'],
          maxPoints: positiveInt('max-points', values['max-points']),
          noRun,
          hostId,
          signal: stop.signal,
          write: out,
          json,
          events:
            screen && (async (ctx) => (tui = await screen.createTuiEvents({ ...ctx, signal: stop.signal, interrupt }))),
        });
      } finally {
        tui?.unmount();
      }
      out(json ? JSON.stringify({ event: 'summary', ...result, message: summaryLine(result) }) : summaryLine(result));
      // Failed trials are never a success, even when others completed: scripts and CI must see them.
      return result.failed > 0 ? EXIT_TRIALS_FAILED : 0;
    }
    case 'worker': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          db: { type: 'string' },
          storage: { type: 'string' },
          workers: { type: 'string' },
          backend: { type: 'string' },
          gpus: { type: 'string' },
          'host-id': { type: 'string' },
          'cache-dir': { type: 'string' },
          'no-cache': { type: 'boolean' },
          'stale-after': { type: 'string' },
          json: { type: 'boolean' },
        },
      });
      const target = onePositional(positionals, 'worker <study>');
      if (values.db !== undefined && values.storage !== undefined && values.db !== values.storage)
        throw new UserInputError('give the database once: --db PATH or --storage URL, not both', '--storage');
      const { BackendChoice } = await import('../study/schema.js');
      const backend = values.backend === undefined ? undefined : BackendChoice.safeParse(values.backend);
      if (backend && !backend.success)
        throw new UserInputError(
          `unknown backend "${values.backend}" (use ${BackendChoice.options.join(', ')})`,
          '--backend',
        );
      const common = {
        target,
        db: values.storage ?? values.db,
        backend: backend?.data,
        cacheDir: values['no-cache'] ? null : values['cache-dir'],
        staleSeconds: positiveInt('stale-after', values['stale-after']),
        hostId: await hostIdOf(values['host-id']),
        signal: stop.signal,
        write: out,
        json: values.json === true,
      };
      if (values.gpus !== undefined) {
        if (values.workers !== undefined)
          throw new UserInputError('--gpus runs one worker per GPU; leave out --workers', '--workers');
        const { parseGpus, runGpuWorkers } = await import('./commands/worker/gpus.js');
        onFirstStop = (sig) =>
          process.stderr.write(`\n${sig}: stopping the GPU workers (each puts its running trials back to WAITING)\n`);
        const { code } = await runGpuWorkers({
          ...common,
          gpus: parseGpus(values.gpus),
          entry: { execPath: process.execPath, execArgv: process.execArgv, script: process.argv[1]! },
        });
        return code;
      }
      const { runWorker } = await import('./commands/worker/index.js');
      const { summaryLine } = await import('./commands/start/index.js');
      onFirstStop = (sig) =>
        process.stderr.write(
          `\n${sig}: stopping: no new trials; running trials are aborted and queued again (a second signal quits at once)\n`,
        );
      const result = await runWorker({ ...common, workers: positiveInt('workers', values.workers) });
      out(
        common.json
          ? JSON.stringify({ event: 'summary', ...result, message: summaryLine(result) })
          : summaryLine(result),
      );
      return result.failed > 0 ? EXIT_TRIALS_FAILED : 0;
    }
    case 'monitor': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { db: { type: 'string' } },
      });
      const { runMonitor } = await import('./commands/monitor/index.js');
      // Stopping is how a monitor ends: exit 0.
      await runMonitor({ target: onePositional(positionals, 'monitor <study>'), db: values.db, signal: stop.signal });
      return 0;
    }
    case 'status': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { db: { type: 'string' }, json: { type: 'boolean' } },
      });
      const { runStatus } = await import('./commands/status/index.js');
      await stoppable(async () =>
        runStatus({
          target: onePositional(positionals, 'status <study>'),
          db: values.db,
          json: values.json,
          write: out,
          signal: stop.signal,
        }),
      );
      return 0;
    }
    case 'replay-pruner': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          db: { type: 'string' },
          pruner: { type: 'string', multiple: true },
          workers: { type: 'string' },
          json: { type: 'boolean' },
        },
      });
      const { runReplayPruner } = await import('./commands/replay-pruner/index.js');
      await stoppable(() =>
        runReplayPruner({
          target: onePositional(positionals, 'replay-pruner <study>'),
          db: values.db,
          pruners: values.pruner ?? [],
          workers: positiveInt('workers', values.workers),
          json: values.json,
          write: out,
        }),
      );
      return 0;
    }
    case 'ls': {
      const { values } = parseArgs({ args: rest, options: { db: { type: 'string' }, json: { type: 'boolean' } } });
      const { runLs } = await import('./commands/ls/index.js');
      await runLs({ db: values.db, json: values.json, write: out });
      return 0;
    }
    case 'rm': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { db: { type: 'string' }, yes: { type: 'boolean' } },
      });
      const { runRm } = await import('./commands/rm/index.js');
      await runRm({
        target: onePositional(positionals, 'rm <study>'),
        db: values.db,
        yes: values.yes === true,
        confirm: process.stdin.isTTY ? askYesNo : undefined,
        write: out,
      });
      return 0;
    }
    case 'copy': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { study: { type: 'string' }, as: { type: 'string' } },
      });
      if (positionals.length !== 2)
        throw new UserInputError(
          `expected two arguments: sweep copy <from> <to> [--study NAME] [--as NAME] (got ${positionals.length})`,
        );
      const { runCopy } = await import('./commands/copy/index.js');
      // One transaction in the destination: a stop mid-copy leaves nothing there.
      await stoppable(() =>
        runCopy({
          from: positionals[0]!,
          to: positionals[1]!,
          study: values.study,
          as: values.as,
          signal: stop.signal,
          write: out,
        }),
      );
      return 0;
    }
    case 'cache': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          'cache-dir': { type: 'string' },
          db: { type: 'string' },
          json: { type: 'boolean' },
          all: { type: 'boolean' },
          'older-than': { type: 'string' },
          study: { type: 'string' },
        },
      });
      const [action, ...extra] = positionals;
      if ((action !== 'ls' && action !== 'clean') || extra.length > 0)
        throw new UserInputError(
          'usage: sweep cache ls | sweep cache clean (--all | --older-than DAYS | --study NAME)',
        );
      const { runCache } = await import('./commands/cache/index.js');
      await runCache({
        action,
        cacheDir: values['cache-dir'],
        db: values.db,
        json: values.json,
        all: values.all,
        olderThanDays:
          values['older-than'] === undefined ? undefined : positiveNumber('older-than', values['older-than']),
        study: values.study,
        now: new Date(),
        write: out,
      });
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
          'heat-scale': { type: 'string' },
        },
      });
      const { runExportCommand } = await import('./commands/export/cli.js');
      await stoppable(() =>
        runExportCommand({
          target: onePositional(positionals, 'export <study>'),
          ...values,
          write: out,
          signal: stop.signal,
        }),
      );
      return 0;
    }
    case 'data': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { dest: { type: 'string' }, url: { type: 'string' } },
      });
      const [action, name, ...extra] = positionals;
      if (!action || extra.length > 0)
        throw new UserInputError('usage: sweep data list | sweep data fetch <name> [--dest DIR] [--url URL]');
      const { runData } = await import('./commands/data/index.js');
      let last = 0;
      await stoppable(() =>
        runData({
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
        }),
      );
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h': {
      // `sweep help <command>`: that command's help.
      const topic = command === 'help' ? rest[0] : undefined;
      if (topic !== undefined) {
        const help = commandHelp(topic);
        if (help === null) throw new UserInputError(`unknown command "${topic}"\n\n${USAGE}`);
        out(help);
        return 0;
      }
      out(USAGE);
      return command === undefined ? 2 : 0;
    }
    default:
      throw new UserInputError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

/** --host-id, else $IAE_HOST_ID, else none (the host's name): checked, since it is stored in every trial. */
async function hostIdOf(flag: string | undefined): Promise<string | undefined> {
  const v = flag ?? (process.env.IAE_HOST_ID || undefined);
  if (v === undefined) return undefined;
  const { HOST_ID_PATTERN } = await import('../scheduler/host.js');
  if (!HOST_ID_PATTERN.test(v))
    throw new UserInputError(
      `a host id is 1-100 letters, digits, ".", "_" or "-" (got "${v}")`,
      flag !== undefined ? '--host-id' : 'IAE_HOST_ID',
    );
  return v;
}

function positiveNumber(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UserInputError(`expected a number of days >= 0, got "${v}"`, `--${name}`);
  return n;
}

/** Asks on the terminal; true only for y or yes. */
async function askYesNo(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^(y|yes)$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
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
      // Node's own text ends in an unclosed quote; say it plainly, with the command's help.
      const command = process.argv[2] ?? '';
      const unknown = /Unknown option '([^']+)'/.exec((err as Error).message)?.[1];
      const message = unknown ? `unknown option ${unknown} for "sweep ${command}"` : (err as Error).message;
      process.stderr.write(`sweep: ${message}\n\n${commandHelp(command) ?? USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`sweep: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(70);
  },
);
