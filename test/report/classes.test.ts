import { it } from 'node:test';
import assert from 'node:assert/strict';
import { classNames, className } from '../../src/report/classes.js';
import { CIFAR10_CLASSES, FASHION_MNIST_CLASSES, SYNTHETIC_CLASSES } from '../../src/data/index.js';

it('names classes as the data readers do (both read the data-set table, src/study/datasets.ts)', () => {
  assert.deepEqual(classNames('fashion-mnist'), [...FASHION_MNIST_CLASSES]);
  assert.deepEqual(classNames('synthetic'), [...SYNTHETIC_CLASSES]);
  assert.deepEqual(classNames('cifar10'), [...CIFAR10_CLASSES]);
  assert.deepEqual(classNames('wtbi'), ['normal', 'icing']);
  assert.equal(classNames('mvtec').length, 15);
  assert.deepEqual([...classNames('mvtec')], [...classNames('mvtec')].sort());
  assert.equal(className('cifar10', 0), 'airplane');
  assert.equal(className('cifar10', 12), 'class 12');
  assert.equal(className(null, 3), 'class 3');
});
