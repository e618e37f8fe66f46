// Nearest-neighbour upsampling by 2 (the decoder's nn.Upsample(scale_factor=2)).
import * as tf from '@tensorflow/tfjs-core';

/**
 * [N,H,W,C] -> [N,2H,2W,C], each pixel repeated 2x2.
 *
 * Forward: resizeNearestNeighbor (alignCorners false, halfPixelCenters false
 * picks source floor(y/2), exactly PyTorch's nearest). Gradient: each input
 * pixel receives the sum of its 2x2 block, i.e. 4 * avgPool(dy, 2, 2) -- one
 * XNNPACK pooling on wasm instead of the generic ResizeNearestNeighborGrad
 * loop or the split/slice gradients of a reshape+concat formulation.
 */
const upsampleGrad = ((x: tf.Tensor) => {
  const x4 = x as tf.Tensor4D;
  return {
    value: tf.image.resizeNearestNeighbor(x4, [x4.shape[1] * 2, x4.shape[2] * 2]),
    gradFunc: (dy: tf.Tensor) => tf.mul(tf.avgPool(dy as tf.Tensor4D, 2, 2, 'valid'), 4),
  };
}) as Parameters<typeof tf.customGrad>[0];

export const upsampleNearest2x = tf.customGrad(upsampleGrad) as <T extends tf.Tensor4D>(x: T) => T;
