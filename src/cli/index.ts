#!/usr/bin/env node
// The entry point: the only file that reads argv and the only one that exits.
// Commands are functions with typed options that throw typed errors.
import { parseArgs } from 'node:util';
import { SweepError, UserInputError } from '../errors/index.js';
import { BackendChoice } from '../study/schema.js';
import { runStart, summaryLine } from './commands/start/index.js';
import { runStatus } from './commands/status/index.js';
import type { TuiEvents } from '../tui/index.js';

const USAGE = `usage: sweep <command> [options]

commands:
  start <study.json>     queue the study's grid and run it (resumes where it stopped)
      --db PATH            SQLite file (default: the study's "storage", else db/<name>.sqlite3)
      --workers N          parallel trials (default: the study's "workers", else one per core on wasm/cpu, one per GPU)
      --backend NAME       auto | tensorflow-gpu | tensorflow | wasm | cpu
      --cache-dir DIR      decoded data and pretrained weights (default .cache); --no-cache disables both
      --stale-after SEC    a RUNNING trial without heartbeat this long is re-queued (default 60)
      --rerun-pruned       queue the points the study's pruner stopped again and run them to the end (pruner off)
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
          'rerun-pruned': { type: 'boolean' },
        },
      });
      const studyFile = onePositional(positionals, 'start <study.json>');
      const backend = values.backend === undefined ? undefined : BackendChoice.safeParse(values.backend);
      if (backend && !backend.success)
        throw new UserInputError(`unknown backend "${values.backend}" (use ${BackendChoice.options.join(', ')})`, '--backend');
      const controller = new AbortController();
      let interrupts = 0;
      // In a terminal the live screen (src/tui) shows the stop itself, and sends
      // Ctrl-C and q here (its raw mode turns Ctrl-C into a key, not SIGINT).
      let tui: TuiEvents | undefined;
      const interrupt = () => {
        interrupts++;
        if (interrupts > 1) process.exit(130);
        if (!tui) process.stderr.write('\nstopping: no new trials; running trials are aborted and queued again (Ctrl-C again to quit at once)\n');
        controller.abort();
      };
      process.on('SIGINT', interrupt);
      process.on('SIGTERM', () => controller.abort());
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
          rerunPruned: values['rerun-pruned'],
          signal: controller.signal,
          write: out,
          events: screen && ((ctx) => (tui = screen.createTuiEvents({ ...ctx, signal: controller.signal, interrupt }))),
        });
      } finally {
        tui?.unmount();
      }
      out(summaryLine(result));
      return result.failed > 0 && !result.interrupted && result.completed === 0 ? 1 : 0;
    }
    case 'monitor': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { db: { type: 'string' } } });
      const controller = new AbortController();
      process.on('SIGINT', () => controller.abort());
      process.on('SIGTERM', () => controller.abort());
      const { runMonitor } = await import('./commands/monitor/index.js');
      await runMonitor({ target: onePositional(positionals, 'monitor <study>'), db: values.db, signal: controller.signal });
      return 0;
    }
    case 'status': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { db: { type: 'string' } } });
      runStatus({ target: onePositional(positionals, 'status <study>'), db: values.db, write: out });
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
      await runExportCommand({ target: onePositional(positionals, 'export <study>'), ...values, write: out });
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
      await runData({
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
      });
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
