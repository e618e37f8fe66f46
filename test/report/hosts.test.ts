// sweep status's hosts (issue 13, item 4): per host, trials done, running and
// failed, its pids and GPUs and its last sign of life, from trial snapshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostLines, hostsOf } from '../../src/report/hosts.js';
import { statusOf } from '../../src/cli/commands/status/index.js';
import { TrialState } from '../../src/trial/state.js';
import type { FrozenTrial, JsonValue } from '../../src/storage/storage.js';
import { studyOf, trialsFor } from './fixtures.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

function on(
  t: FrozenTrial,
  state: TrialState,
  attrs: Record<string, JsonValue>,
  times: { started?: number; completed?: number; heartbeat?: number } = {},
): FrozenTrial {
  return {
    ...t,
    state,
    systemAttrs: { grid_point: t.gridPoint, ...attrs },
    startedAt: times.started === undefined ? null : at(times.started),
    completedAt: times.completed === undefined ? null : at(times.completed),
    heartbeatAt: times.heartbeat === undefined ? null : at(times.heartbeat),
  };
}

test('per host: done, running, failed, pids, GPUs and the latest heartbeat or finish; waiting trials belong to nobody', () => {
  const { study } = studyOf({
    name: 'h',
    dataset: { name: 'fashion-mnist' },
    grid: { model: ['IAE-LSTM-KL'], normalClass: [0, 1, 2, 3, 4, 5, 6, 7], boundary: ['hard'] },
  });
  const [a, b, c, d, e, f, g, h] = trialsFor(study, () => ({ auroc: { svdd: 0.7 } }));
  const trials = [
    on(
      a!,
      TrialState.COMPLETE,
      { worker: 'gpu-box:10', host: 'gpu-box', pid: 10, cuda_visible_devices: '1' },
      { started: 1, completed: 20 },
    ),
    on(
      b!,
      TrialState.PRUNED,
      { worker: 'gpu-box:11', host: 'gpu-box', pid: 11, cuda_visible_devices: '0' },
      { started: 2, completed: 9 },
    ),
    on(
      c!,
      TrialState.RUNNING,
      { worker: 'gpu-box:11', host: 'gpu-box', pid: 11, cuda_visible_devices: '0' },
      { started: 21, heartbeat: 30 },
    ),
    on(d!, TrialState.FAIL, { worker: 'cpu-1:7', host: 'cpu-1', pid: 7 }, { started: 3, completed: 40 }),
    // Claimed before the `host` attribute existed: the host comes from `worker`.
    on(e!, TrialState.COMPLETE, { worker: 'old.example.org:99' }, { started: 4, completed: 5 }),
    // RUNNING without a heartbeat yet: its start is the sign of life.
    on(f!, TrialState.RUNNING, { worker: 'cpu-1:8', host: 'cpu-1', pid: 8 }, { started: 41 }),
    // Given back by a stop: WAITING, nobody's now.
    on(g!, TrialState.WAITING, { worker: 'cpu-2:5', host: 'cpu-2', pid: 5 }),
    // Never claimed.
    on(h!, TrialState.WAITING, {}),
  ];
  const hosts = hostsOf(trials);
  assert.deepEqual(hosts, [
    { host: 'cpu-1', done: 0, running: 1, failed: 1, pids: [7, 8], gpus: [], lastHeartbeat: at(41).toISOString() },
    {
      host: 'gpu-box',
      done: 2,
      running: 1,
      failed: 0,
      pids: [10, 11],
      gpus: ['0', '1'],
      lastHeartbeat: at(30).toISOString(),
    },
    {
      host: 'old.example.org',
      done: 1,
      running: 0,
      failed: 0,
      pids: [99],
      gpus: [],
      lastHeartbeat: at(5).toISOString(),
    },
  ]);
  const lines = hostLines(hosts);
  assert.equal(lines[0], 'hosts: 3');
  assert.equal(
    lines[1],
    '  cpu-1            done 0, running 1, failed 1; last heartbeat 2026-01-01T00:00:41.000Z; pids 7, 8',
  );
  assert.equal(
    lines[2],
    '  gpu-box          done 2, running 1, failed 0; last heartbeat 2026-01-01T00:00:30.000Z; pids 10, 11; GPUs 0, 1',
  );
  assert.deepEqual(hostLines([]), []);
});

test('status carries the hosts of its own grid only (a trial added from Optuna is left out)', () => {
  const { study, summary } = studyOf({
    name: 'h2',
    dataset: { name: 'fashion-mnist' },
    grid: { model: ['IAE-LSTM-KL'], normalClass: [0, 1], boundary: ['hard'] },
  });
  const [a, b] = trialsFor(study, () => ({ auroc: { svdd: 0.7 } }));
  const foreign: FrozenTrial = {
    ...on(b!, TrialState.COMPLETE, { worker: 'optuna-box:1' }, { completed: 3 }),
    gridPoint: '',
    systemAttrs: { worker: 'optuna-box:1' },
  };
  const r = statusOf('h2', 'x.sqlite3', summary.systemAttrs, [
    on(a!, TrialState.COMPLETE, { worker: 'w:1', host: 'w', pid: 1 }, { completed: 2 }),
    foreign,
  ]);
  assert.deepEqual(
    r.hosts.map((h) => h.host),
    ['w'],
  );
  assert.equal(r.ignored.foreign, 1);
});
