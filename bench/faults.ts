// The fault suite's kill -9 run, long: cycles of seeded random kills of a real
// small sweep (test/faults/chaos.ts: during pretraining, joint training, right
// after a write, beside an export; restarted each time), with `sweep monitor`
// attached read-only to the running study the whole time, until both the kill
// count and the monitor minutes are reached. Prints every cycle's figures and
// the totals; any lost, duplicated or rewritten trial, or a monitor that saw a
// database error, makes the exit code 1.
//   node --import tsx bench/faults.ts --kills 100 --monitor-minutes 30 [--seed 1] [--per-cycle 20]
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { chaosLine, chaosSweep, type ChaosReport } from '../test/faults/chaos.js';
import { runCli, type Run } from '../test/e2e/helpers.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '100' },
    'monitor-minutes': { type: 'string', default: '30' },
    seed: { type: 'string', default: '1' },
    'per-cycle': { type: 'string', default: '20' },
  },
});
const wantKills = Number(values.kills);
const wantMs = Number(values['monitor-minutes']) * 60_000;
const perCycle = Number(values['per-cycle']);
const seed = Number(values.seed);

const stamp = () => new Date().toISOString().slice(0, 19).replace('T', ' ');
console.log(
  `bench/faults: ${stamp()} UTC, ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(
  `asked: ${wantKills} kills, monitor attached ${values['monitor-minutes']} min, seed ${seed}, ${perCycle} kills per study`,
);

/** A monitor attached to the current study's database, restarted when it ends (it ends when nothing runs or waits). */
class Monitor {
  private run: Run | null = null;
  private db: string | null = null;
  private name = '';
  private since = 0;
  attachedMs = 0;
  runs = 0;
  errors: string[] = [];
  private closing = false;

  follow(name: string, db: string): void {
    if (this.db === db && this.run) return;
    this.stop();
    this.name = name;
    this.db = db;
    this.start();
  }

  private start(): void {
    if (!this.db || this.closing) return;
    const run = runCli(['monitor', this.name, '--db', this.db]);
    this.run = run;
    this.runs++;
    this.since = Date.now();
    void run.done.then(({ code, signal }) => {
      this.attachedMs += Date.now() - this.since;
      const bad = run
        .stdout()
        .split('\n')
        .filter((l) => /\(database: /.test(l));
      if (bad.length) this.errors.push(...bad);
      if (code !== 0 && signal === null)
        this.errors.push(`monitor exited ${code}: ${run.stderr().trim().split('\n').pop()}`);
      if (this.run === run) {
        this.run = null;
        // Still following this study: attach again (the sweep may have been killed and restarted).
        setImmediate(() => this.start());
      }
    });
  }

  stop(): void {
    const r = this.run;
    this.run = null;
    r?.child.kill('SIGINT');
  }

  async close(): Promise<void> {
    this.closing = true;
    const r = this.run;
    this.stop();
    if (r) await r.done;
  }
}

const monitor = new Monitor();
const t0 = Date.now();
const reports: ChaosReport[] = [];
let kills = 0;
for (let cycle = 0; kills < wantKills || Date.now() - t0 < wantMs; cycle++) {
  const name = `chaos-bench-${cycle}`;
  const n = kills < wantKills ? Math.min(perCycle, wantKills - kills) : perCycle;
  const r = await chaosSweep({
    name,
    kills: n,
    seed: seed * 1000 + cycle,
    onDb: (db) => monitor.follow(name, db),
  });
  reports.push(r);
  kills += r.kills;
  console.log(`cycle ${cycle} (${name}): ${chaosLine(r, n)}; elapsed ${((Date.now() - t0) / 60_000).toFixed(1)} min`);
}
await monitor.close();

const sum = (f: (r: ChaosReport) => number) => reports.reduce((s, r) => s + f(r), 0);
const lost = sum((r) => r.lost);
const duplicated = sum((r) => r.duplicated);
const rewritten = sum((r) => r.rewritten);
const other = reports.flatMap((r) => r.otherFailures);
console.log(
  `total: ${kills}/${wantKills} kills in ${reports.length} studies: ${lost} lost, ${duplicated} duplicated, ${rewritten} rewritten, ` +
    `${sum((r) => r.points)} points, ${sum((r) => r.trials)} trials, ${sum((r) => r.exportsKilled)} exports killed, ` +
    `${other.length} unexpected failures; final exports ${reports.every((r) => r.finalExportCode === 0) ? 'all exit 0' : 'NOT all exit 0'}`,
);
console.log(
  `monitor: attached ${(monitor.attachedMs / 60_000).toFixed(1)} of ${((Date.now() - t0) / 60_000).toFixed(1)} min (${monitor.runs} attachments), ${monitor.errors.length} database errors seen`,
);
for (const e of [...other, ...monitor.errors].slice(0, 20)) console.log(`  ${e}`);
console.log(
  `end: ${stamp()} UTC, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
process.exitCode = lost + duplicated + rewritten + other.length + monitor.errors.length > 0 ? 1 : 0;
