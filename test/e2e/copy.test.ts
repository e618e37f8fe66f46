// `sweep copy` through the real CLI: a study built through our storage (every
// trial state, NaN and infinite values, attributes of study and trials) plus a
// trial Optuna itself adds (a FloatDistribution, Python's microsecond clock)
// goes SQLite -> PostgreSQL -> SQLite and reads back identically through our
// storage and through Optuna, direction included (a study Optuna made MINIMIZE
// stays MINIMIZE). Real SQLite files, a real PostgreSQL server
// (test/storage/pg-server.ts), the real Optuna (/usr/bin/python3); no skipping.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStorage } from '../../src/storage/open.js';
import { pyJsonLoads } from '../../src/storage/pyjson.js';
import type { FrozenTrial, Storage, StudySummary } from '../../src/storage/storage.js';
import { microsOf } from '../../src/storage/time.js';
import { TrialState } from '../../src/trial/state.js';
import { DISTRIBUTIONS, makePoints, tempDir } from '../storage/helpers.js';
import { optuna } from '../storage/optuna.js';
import { APP_PASSWORD, startPgServer, type PgServer } from '../storage/pg-server.js';
import { runCli } from './helpers.js';

async function cli(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const run = runCli(args);
  const { code } = await run.done;
  return { code, out: run.stdout(), err: run.stderr() };
}

/**
 * A study as our storage reads it, times to the microsecond, without what a
 * copy does not keep: ids (renumbered) and heartbeats (a finished trial's last
 * heartbeat is no part of its result; Optuna's copy_study drops them too).
 */
async function snapshot(
  location: string,
  name: string,
): Promise<{ study: Omit<StudySummary, 'id'>; trials: unknown[] }> {
  const s = await openStorage(location, { readonly: true });
  try {
    const study = await s.getStudy(name);
    assert.ok(study, `study "${name}" in ${s.location}`);
    const { id: _id, ...rest } = study;
    const trials = (await s.getTrials(study.id)).map((t: FrozenTrial) => {
      const { id: _tid, heartbeatAt: _hb, startedAt, completedAt, intermediate, ...fields } = t;
      return {
        ...fields,
        intermediate: [...intermediate.entries()],
        startedUs: startedAt && microsOf(startedAt),
        completedUs: completedAt && microsOf(completedAt),
      };
    });
    return { study: { ...rest, name }, trials };
  } finally {
    await s.close();
  }
}

describe('sweep copy (SQLite <-> PostgreSQL, real server, real Optuna)', () => {
  let server: PgServer;
  const tmp = tempDir('iae-copy-');
  const source = join(tmp.dir, 'source.sqlite3');
  before(async () => {
    server = await startPgServer();
    const s: Storage = await openStorage(source);
    try {
      const study = await s.openStudy('paper', {
        search_space: { model: ['CAE', 'IAE-LSTM-KL'] },
        definition: 'sha:abc',
      });
      await s.setStudyUserAttr(study.id, 'note', { by: 'λ ünï', weights: [1, NaN, Infinity] });
      await s.enqueuePoints(study.id, makePoints(6), DISTRIBUTIONS);
      const claim = async () => (await s.claimTrial(study.id, 'host-a:1'))!;
      const t0 = await claim();
      for (const [i, v] of [0.5, NaN, Infinity, -Infinity, 0.75].entries())
        await s.setIntermediateValue(t0.id, i + 1, v);
      await s.setUserAttrs(t0.id, { auroc: { svdd: 0.75, rec: 0.5 }, losses: [1.5, NaN, -Infinity], note: 'λ' });
      await s.setSystemAttrs(t0.id, { fail_kind: null, data: 'sha256:00ff' });
      await s.finishTrial(t0.id, TrialState.COMPLETE, 0.75);
      const t1 = await claim();
      await s.setIntermediateValue(t1.id, 1, 0.25);
      await s.finishTrial(t1.id, TrialState.PRUNED, -Infinity);
      const t2 = await claim();
      await s.setUserAttrs(t2.id, { error: 'Error: out of memory\n    at train' });
      await s.finishTrial(t2.id, TrialState.FAIL);
      const t3 = await claim();
      await s.finishTrial(t3.id, TrialState.COMPLETE, Infinity);
      await s.requeueTrial((await claim()).id); // back to WAITING, as after Ctrl-C
      // Left: one WAITING trial never claimed.

      // A second study, and one with a RUNNING trial, for the refusals.
      await s.openStudy('other', {});
      const busy = await s.openStudy('busy', {});
      await s.enqueuePoints(busy.id, makePoints(1), DISTRIBUTIONS);
      await s.claimTrial(busy.id, 'host-b:2');
    } finally {
      await s.close();
    }
    // Optuna adds a trial of its own: a FloatDistribution param, timestamps from Python's clock (microseconds).
    optuna(
      'add',
      source,
      'paper',
      JSON.stringify({ model: 'DeepSVDD', model_choices: DISTRIBUTIONS.model, lr: 0.01, value: 0.42 }),
    );
  });
  after(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  it('round-trips SQLite -> PostgreSQL -> SQLite losslessly, through our storage and through Optuna', async () => {
    const url = server.url(await server.freshDatabase('copy'));
    const back = join(tmp.dir, 'back.sqlite3');

    const there = await cli('copy', source, url, '--study', 'paper');
    assert.equal(there.code, 0, there.err);
    assert.match(there.out, /copied study "paper" \(7 trials\)/);
    const home = await cli('copy', url, back); // PostgreSQL holds one study: no --study needed
    assert.equal(home.code, 0, home.err);
    for (const text of [there.out, there.err, home.out, home.err]) {
      assert.ok(
        !text.includes(APP_PASSWORD) && !text.includes(encodeURIComponent(APP_PASSWORD)),
        `password printed: ${text}`,
      );
    }

    const original = await snapshot(source, 'paper');
    assert.equal(original.trials.length, 7);
    assert.deepStrictEqual(await snapshot(url, 'paper'), original);
    assert.deepStrictEqual(await snapshot(back, 'paper'), original);

    // The fixture's trials are what this test means them to be (not an empty study compared with itself).
    const trials = original.trials as {
      state: TrialState;
      value: number | null;
      distributions: Record<string, string>;
      startedUs: number | null;
    }[];
    assert.deepEqual(
      trials.map((t) => t.state),
      [
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.FAIL,
        TrialState.COMPLETE,
        TrialState.WAITING,
        TrialState.WAITING,
        TrialState.COMPLETE,
      ],
    );
    assert.equal(trials[1].value, -Infinity);
    assert.equal(trials[3].value, Infinity);
    assert.equal(JSON.parse(trials[6].distributions.lr).name, 'FloatDistribution');
    assert.ok(
      trials.some((t) => t.startedUs !== null && t.startedUs % 1000 !== 0),
      'a start time with sub-millisecond digits',
    );

    // Optuna sees the same study in all three places.
    const dump = (where: string) => {
      const d = pyJsonLoads(optuna('dump', where, 'paper')) as Record<string, unknown>;
      assert.equal((d.trials as unknown[]).length, 7);
      return d;
    };
    const theirs = dump(source);
    assert.deepStrictEqual(dump(url), theirs);
    assert.deepStrictEqual(dump(back), theirs);
    assert.deepStrictEqual(theirs.user_attrs, { note: { by: 'λ ünï', weights: [1, NaN, Infinity] } });
  });

  it('keeps the direction of a study Optuna made MINIMIZE, SQLite -> PostgreSQL -> SQLite; refuses one of two objectives', async () => {
    // A database of ours, a study in it created by Optuna's own create_study.
    const mine = join(tmp.dir, 'minimize.sqlite3');
    await (await openStorage(mine)).close();
    optuna('study', mine, 'lower', '["minimize"]');
    optuna('study', mine, 'two', '["minimize", "maximize"]');
    const url = server.url(await server.freshDatabase('minimize'));
    const back = join(tmp.dir, 'minimize-back.sqlite3');
    const there = await cli('copy', mine, url, '--study', 'lower');
    assert.equal(there.code, 0, there.err);
    const home = await cli('copy', url, back);
    assert.equal(home.code, 0, home.err);

    const original = await snapshot(mine, 'lower');
    assert.deepEqual(original.study.directions, ['MINIMIZE']);
    assert.equal(original.trials.length, 1);
    assert.deepStrictEqual(await snapshot(url, 'lower'), original);
    assert.deepStrictEqual(await snapshot(back, 'lower'), original);
    for (const where of [mine, url, back]) {
      const d = pyJsonLoads(optuna('dump', where, 'lower')) as { direction: string; directions: string[] };
      assert.deepEqual([d.direction, d.directions], ['MINIMIZE', ['MINIMIZE']], where);
    }

    const two = await cli('copy', mine, url, '--study', 'two');
    assert.equal(two.code, 2, two.err);
    assert.match(two.err, /study "two" has 2 objectives \(MINIMIZE, MAXIMIZE\).*copy it with Optuna's copy_study/);
  });

  it('--as copies under another name, here into the same file', async () => {
    const r = await cli('copy', source, source, '--study', 'paper', '--as', 'paper-2');
    assert.equal(r.code, 0, r.err);
    const a = await snapshot(source, 'paper');
    const b = await snapshot(source, 'paper-2');
    assert.deepStrictEqual(b, { ...a, study: { ...a.study, name: 'paper-2' } });
  });

  it('refuses, with exit 2 and a message naming the fix: a missing source, an unknown or unnamed study, RUNNING trials, a study the destination has', async () => {
    const url = server.url(await server.freshDatabase('refuse'));
    const cases: [string[], RegExp][] = [
      [['copy', join(tmp.dir, 'nope.sqlite3'), url], /no such database to copy from/],
      [['copy', source, url, '--study', 'nope'], /no study "nope" here \(it has: paper, other, busy/],
      [['copy', source, url], /holds \d+ studies .*name one with --study NAME/],
      [['copy', source, url, '--study', 'busy'], /1 RUNNING trial\(s\): stop its sweep first/],
      [['copy', source, url, '--study', 'other', '--as', 'paper', 'extra'], /expected two arguments/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, message);
    }
    const first = await cli('copy', source, url, '--study', 'other');
    assert.equal(first.code, 0, first.err);
    const again = await cli('copy', source, url, '--study', 'other');
    assert.equal(again.code, 2);
    assert.match(again.err, /a study "other" exists already: copy under another name with --as NAME/);
    assert.ok(!again.err.includes(encodeURIComponent(APP_PASSWORD)) && !again.err.includes(APP_PASSWORD), again.err);
  });
});
