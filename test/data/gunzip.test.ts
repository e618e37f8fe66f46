// Gunzip of data files stops with the signal part-way (issue 14: a stop while
// data decode lands within a chunk, not after the whole file). A real .gz file
// on disk, read by the readers' own readDataFile; progress events are counted,
// nothing is timed.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DatasetError } from '../../src/errors/index.js';
import { readDataFile } from '../../src/data/fs.js';
import { gunzipAbortable } from '../../src/data/gunzip.js';
import { readIdx } from '../../src/data/idx.js';
import { idxBytes, tempDir } from './helpers.js';

/** Bytes that gzip barely compresses (seeded xorshift), so the .gz is as large as its content. */
function noise(n: number, seed = 1): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  return out;
}

describe('gunzip of a data file', () => {
  const dir = tempDir();
  // 24 MiB of content in two gzip members (a multi-member file, as zlib.gunzip reads it).
  const content = noise(24 << 20);
  const path = join(dir, 'big.gz');
  writeFileSync(
    path,
    Buffer.concat([
      gzipSync(content.subarray(0, 16 << 20), { level: 1 }),
      gzipSync(content.subarray(16 << 20), { level: 1 }),
    ]),
  );

  it('decodes every member, reporting progress per chunk of input', async () => {
    const bytes = await readDataFile(path, 'fix it');
    let events = 0;
    let last = { read: 0, total: 0, written: 0 };
    const out = await gunzipAbortable(bytes, {
      onProgress: (p) => {
        events++;
        last = p;
      },
    });
    assert.ok(out.equals(content), 'same bytes as the content');
    assert.ok(events > 8, `one event per MiB of input, got ${events}`);
    assert.deepEqual(last, { read: bytes.length, total: bytes.length, written: content.length });
  });

  it('a signal fired during decoding stops it with its reason: no more progress, only part written', async () => {
    const bytes = await readDataFile(path, 'fix it');
    const ac = new AbortController();
    const reason = new Error('SIGTERM');
    let events = 0;
    let written = 0;
    await assert.rejects(
      gunzipAbortable(bytes, {
        signal: ac.signal,
        onProgress: (p) => {
          events++;
          written = p.written;
          if (events === 3) ac.abort(reason);
        },
      }),
      (err) => err === reason,
    );
    assert.equal(events, 3, 'no progress after the abort');
    assert.ok(written < content.length / 2, `stopped part-way: ${written} of ${content.length} bytes`);
  });

  it('an aborted signal stops it before any work; corrupt data still gets a DatasetError naming the file', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(gunzipAbortable(gzipSync(Buffer.from('x')), { signal: ac.signal }), { name: 'AbortError' });
    const idx = gzipSync(idxBytes('u8', [4, 2, 2], new Uint8Array(16).fill(7)));
    const cut = join(dir, 'cut.gz');
    writeFileSync(cut, idx.subarray(0, idx.length - 6));
    await assert.rejects(
      readIdx(cut),
      (err) =>
        err instanceof DatasetError &&
        /gzip data is corrupt or truncated/.test(err.message) &&
        err.message.includes(cut),
    );
    const whole = join(dir, 'whole.gz');
    writeFileSync(whole, idx);
    assert.deepEqual((await readIdx(whole)).dims, [4, 2, 2]);
  });
});
