// The store batches: however many updates arrive, subscribers hear at most
// once per interval (about 10 renders a second with the default 100 ms).
import './fixtures/live-terminal.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SweepStore } from '../../src/tui/store.js';
import { snapshot } from './fixtures/data.js';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a burst of updates makes one notification; a steady stream at most one per interval', async () => {
  const store = new SweepStore(snapshot(), 100);
  let calls = 0;
  store.subscribe(() => calls++);
  for (let i = 0; i < 1000; i++) store.update((d) => void (d.counts = { ...d.counts, complete: i }));
  assert.equal(calls, 0, 'nothing synchronously');
  await delay(30);
  assert.equal(calls, 1);
  assert.equal(store.getSnapshot().counts.complete, 999, 'the last state is published');

  // 8 workers x 20 messages a second for one second.
  calls = 0;
  const t0 = Date.now();
  while (Date.now() - t0 < 1000) {
    store.update(() => {}); // every update schedules a publish, whatever it changes
    await delay(6);
  }
  await delay(150);
  assert.ok(calls <= 12, `${calls} notifications in ~1.1 s`);
  assert.ok(calls >= 5, `${calls} notifications: updates still flow`);
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
