import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DatasetError } from '../../src/errors/index.js';
import { isGzip, parseIdx, readIdx } from '../../src/data/idx.js';
import { idxBytes, tempDir } from './helpers.js';

const dir = tempDir();

/** Assert a DatasetError whose message names `path` and contains every fragment. */
async function rejectsWith(p: Promise<unknown>, path: string, ...fragments: string[]): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof DatasetError, `expected DatasetError, got ${String(err)}`);
    assert.ok(err.message.includes(path), `message should name ${path}: ${err.message}`);
    for (const f of fragments) assert.ok(err.message.includes(f), `message should contain "${f}": ${err.message}`);
    return true;
  });
}

describe('IDX reader', () => {
  // 3 images of 2x3, values chosen so any transposition or offset shows.
  const values = Array.from({ length: 18 }, (_, i) => (i * 37 + 5) % 256);
  const bytes = idxBytes('u8', [3, 2, 3], values);

  for (const gz of [false, true]) {
    it(`reads a ${gz ? 'gzipped' : 'raw'} ubyte file pixel for pixel`, async () => {
      const p = join(dir, gz ? 'ok.gz' : 'ok');
      writeFileSync(p, gz ? gzipSync(bytes) : bytes);
      const a = await readIdx(p);
      assert.equal(a.dtype, 'u8');
      assert.deepEqual(a.dims, [3, 2, 3]);
      assert.deepEqual(Array.from(a.data), values);
    });
  }

  it('detects gzip by magic bytes, not by name', async () => {
    const p = join(dir, 'gz-without-suffix');
    writeFileSync(p, gzipSync(bytes));
    assert.ok(isGzip(gzipSync(bytes)));
    assert.ok(!isGzip(bytes));
    assert.deepEqual(Array.from((await readIdx(p)).data), values);
  });

  it('decodes big-endian multi-byte dtypes', () => {
    assert.deepEqual(Array.from(parseIdx(idxBytes('i16', [3], [-2, 300, 32767]), 'x').data), [-2, 300, 32767]);
    assert.deepEqual(Array.from(parseIdx(idxBytes('i32', [2], [-70000, 123456789]), 'x').data), [-70000, 123456789]);
    assert.deepEqual(Array.from(parseIdx(idxBytes('f32', [2], [1.5, -0.25]), 'x').data), [1.5, -0.25]);
    assert.deepEqual(Array.from(parseIdx(idxBytes('f64', [1, 2], [Math.PI, -1e300]), 'x').data), [Math.PI, -1e300]);
    assert.deepEqual(Array.from(parseIdx(idxBytes('i8', [2], [-128, 127]), 'x').data), [-128, 127]);
  });

  const cases: [string, Buffer, string[]][] = [
    ['empty', Buffer.alloc(0), ['not an IDX file', '0 bytes']],
    ['bad-magic', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 1, 7]), ['not an IDX file', '50 4b 03 04']],
    ['bad-dtype', Buffer.from([0, 0, 0x0a, 1, 0, 0, 0, 1, 7]), ['unknown IDX dtype 0x0a']],
    ['zero-dims', Buffer.from([0, 0, 0x08, 0]), ['0 dimensions']],
    ['short-header', idxBytes('u8', [3, 2, 3], values).subarray(0, 10), ['truncated IDX header', '16 header bytes']],
    ['short-data', bytes.subarray(0, bytes.length - 1), ['truncated IDX data', 'need 18 bytes', 'has 17']],
    ['trailing', Buffer.concat([bytes, Buffer.from([1, 2])]), ['2 bytes after the data']],
  ];
  for (const [name, buf, fragments] of cases) {
    for (const gz of [false, true]) {
      it(`rejects ${name} (${gz ? 'gzip' : 'raw'}) naming the file`, async () => {
        const p = join(dir, `${name}${gz ? '.gz' : ''}`);
        writeFileSync(p, gz ? gzipSync(buf) : buf);
        await rejectsWith(readIdx(p), p, ...fragments, 'download it again');
      });
    }
  }

  it('rejects a truncated gzip stream naming the file', async () => {
    const gz = gzipSync(
      idxBytes(
        'u8',
        [100, 28, 28],
        new Uint8Array(78400).map((_, i) => i % 251),
      ),
    );
    const p = join(dir, 'cut.gz');
    writeFileSync(p, gz.subarray(0, gz.length >> 1));
    await rejectsWith(readIdx(p), p, 'gzip data is corrupt or truncated');
  });

  it('rejects a missing file naming it', async () => {
    const p = join(dir, 'nope.gz');
    await rejectsWith(readIdx(p), p, 'cannot read');
  });
});
