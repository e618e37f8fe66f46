import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadDataset } from '../../src/data/index.js';
import { prepareTrialData } from '../../src/data/prepare.js';
import { makeSynthetic, SYNTHETIC_CLASSES } from '../../src/data/synthetic.js';
import { auroc } from './helpers.js';

describe('synthetic data set', () => {
  it('is deterministic, 32x32 grey, 200/100 per class by default', async () => {
    const a = makeSynthetic();
    const b = await loadDataset({ name: 'synthetic' });
    assert.deepEqual(Buffer.from(a.train.images), Buffer.from(b.train.images));
    assert.deepEqual(Buffer.from(a.test.images), Buffer.from(b.test.images));
    assert.deepEqual([a.train.n, a.test.n, a.train.height, a.train.width, a.train.channels], [2000, 1000, 32, 32, 1]);
    const count = (l: Uint8Array) => l.reduce((c, v) => (c[v]++, c), new Array(10).fill(0));
    assert.deepEqual(count(a.train.labels), new Array(10).fill(200));
    assert.deepEqual(count(a.test.labels), new Array(10).fill(100));
    assert.equal(a.classNames.length, SYNTHETIC_CLASSES.length);
    assert.notDeepEqual(
      Buffer.from(makeSynthetic({ seed: 1, trainPerClass: 2, testPerClass: 1 }).train.images),
      Buffer.from(a.train.images.subarray(0, 20 * 1024)),
    );
    // the training images do not depend on the test size
    assert.deepEqual(Buffer.from(makeSynthetic({ testPerClass: 3 }).train.images), Buffer.from(a.train.images));
  });

  it('every class is an easy anomaly-detection task (nearest-neighbour distance, AUROC > 0.9)', () => {
    // Distance to the nearest normal training image: a learner that can only
    // memorise already separates each class from the others, so a network has
    // something real to find. (Distance to the class mean would not: stripes
    // with random phase average to grey.)
    const raw = makeSynthetic({ trainPerClass: 40, testPerClass: 20 });
    const per = 1024;
    for (let k = 0; k < 10; k++) {
      const d = prepareTrialData(raw, { normalClass: k, seed: 0, contamination: 0, minmax: 'train' });
      const scores = Array.from({ length: d.nTest }, (_, j) => {
        let best = Infinity;
        for (let t = 0; t < d.nTrain; t++) {
          let s = 0;
          for (let i = 0; i < per; i++) s += (d.testX[j * per + i] - d.trainX[t * per + i]) ** 2;
          if (s < best) best = s;
        }
        return best;
      });
      const a = auroc(scores, d.testY);
      assert.ok(a > 0.9, `class ${k} (${SYNTHETIC_CLASSES[k]}): AUROC ${a.toFixed(3)}`);
    }
  });
});
