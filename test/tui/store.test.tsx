// The store batches: however many updates arrive, subscribers hear at most
// once per interval (about 10 renders a second with the default 100 ms).
// Time is node:test's mock clock (setTimeout and Date): the test moves it, so
// the counts below are exact however busy the machine is.
import './fixtures/live-terminal.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SweepStore } from '../../src/tui/store.js';
import { snapshot } from './fixtures/data.js';

test('a burst of updates makes one notification; a steady stream at most one per interval', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const store = new SweepStore(snapshot(), 100);
  const flushedAt: number[] = [];
  store.subscribe(() => flushedAt.push(Date.now()));
  for (let i = 0; i < 1000; i++) store.update((d) => void (d.counts = { ...d.counts, complete: i }));
  assert.equal(flushedAt.length, 0, 'nothing synchronously');
  t.mock.timers.tick(1);
  assert.equal(flushedAt.length, 1);
  assert.equal(store.getSnapshot().counts.complete, 999, 'the last state is published');
  t.mock.timers.tick(500);
  assert.equal(flushedAt.length, 1, 'no update, no notification');

  // 8 workers x 20 messages a second for one second: an update every 6 ms.
  flushedAt.length = 0;
  const t0 = Date.now();
  while (Date.now() - t0 < 1000) {
    store.update(() => {}); // every update schedules a publish, whatever it changes
    for (let ms = 0; ms < 6; ms++) t.mock.timers.tick(1);
  }
  t.mock.timers.tick(150);
  const gaps = flushedAt.slice(1).map((at, i) => at - flushedAt[i]!);
  assert.ok(
    gaps.every((g) => g >= 100),
    `notifications ${gaps.join(', ')} ms apart`,
  );
  // The first update publishes at once (the last publish is long past); then one every 100 ms while updates flow.
  assert.ok(flushedAt.length >= 10 && flushedAt.length <= 11, `${flushedAt.length} notifications in 1 s`);
  assert.ok(flushedAt[0]! - t0 <= 1, 'the first update after a quiet spell is shown at once');
  store.close();
});

test('a snapshot handed out never changes', async () => {
  const store = new SweepStore(snapshot(), 0);
  const before = store.getSnapshot();
  store.update((d) => void (d.running = []));
  store.flush();
  assert.equal(before.running.length, 8);
  assert.equal(store.getSnapshot().running.length, 0);
  assert.throws(() => ((before as { study: string }).study = 'x'));
  store.close();
});
