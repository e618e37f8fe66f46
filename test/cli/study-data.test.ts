// loadStudyData (src/cli/commands/start/study-data.ts), the one data-loading
// step `start` and `worker` share: real synthetic data, a real MVTec-format
// folder tree in a temp folder; nothing is mocked.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadStudyData } from '../../src/cli/commands/start/study-data.js';
import { DatasetError, StudyFileError } from '../../src/errors/index.js';
import { Study, type StudyInput } from '../../src/study/schema.js';

const tmp = mkdtempSync(join(tmpdir(), 'iae-study-data-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const study = (over: Partial<StudyInput>): Study =>
  Study.parse({ name: 'x', dataset: { name: 'synthetic' }, grid: { model: ['CAE'], normalClass: [0] }, ...over });
const opts = (signal = new AbortController().signal) => ({ cacheDir: null, signal, studyFile: 'study.json' });

describe('loadStudyData', () => {
  it('returns the data and the input shape its networks get', async () => {
    const got = await loadStudyData(study({}), opts());
    assert.ok(got);
    assert.equal(got.data.name, 'synthetic');
    assert.deepEqual(got.input, { height: 32, width: 32, channels: 1 });
  });

  it('is null when the signal has aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    assert.equal(await loadStudyData(study({}), opts(ac.signal)), null);
  });

  it('refuses an arch the images do not fit, naming the study file it was given', async () => {
    await assert.rejects(
      loadStudyData(study({ arch: { channels: [4, 8], latent: 16 } }), opts()),
      (e: unknown) =>
        e instanceof StudyFileError && e.message.includes('study.json') && /arch\.channels/.test(e.message),
    );
  });

  it('refuses a normal class whose MVTec AD category this host lacks, before reading an image', async () => {
    const dir = join(tmp, 'mvtec');
    mkdirSync(join(dir, 'bottle', 'train', 'good'), { recursive: true });
    await assert.rejects(
      loadStudyData(study({ dataset: { name: 'mvtec', dir }, grid: { model: ['CAE'], normalClass: [0, 14] } }), opts()),
      (e: unknown) => e instanceof DatasetError && e.message.includes(join(dir, 'zipper', 'train', 'good')),
    );
  });
});
