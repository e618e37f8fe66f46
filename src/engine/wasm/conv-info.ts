// The geometry of a 2-D convolution as the wasm kernels take it: shared by
// the XNNPACK-based kernels (kernels.ts) and the native GEMM ones
// (native-kernels.ts), which kernels.ts installs, so it sits below both.
import * as tf from '@tensorflow/tfjs-core';

const { backend_util } = tf;

export type ConvAttrs = {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

export function convInfoOf(
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
  kernel: string,
): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat === 'NCHW') {
    // The wasm Conv2D we build on is channels-last only.
    throw new Error(`${kernel} on wasm supports dataFormat NHWC only (got NCHW); transpose the input to NHWC`);
  }
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}
