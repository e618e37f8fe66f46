// The compute engine's public face: backend choice per thread, fast training
// kernels for wasm, seeding, and the few fused ops models share.
//
// A worker calls initBackend(choice) once; on wasm that also registers the
// gradients tfjs-core lacks in Node and our kernels (src/engine/wasm), so
// model code stays plain TensorFlow.js (tf.conv2d, tf.conv2dTranspose,
// tf.matMul, tf.grads ...). batchNormTrain, upsampleNearest2x and FusedAdam
// are optional fused versions of what models would otherwise write in ops.
export {
  initBackend,
  wasmBinaryDir,
  workersFor,
  type BackendInfo,
  type BackendName,
  type InitOptions,
} from './backend.js';
export { ensureGradients } from './gradients.js';
export { installWasmKernels, uninstallWasmKernels, installedWasmKernels, FAST_KERNELS } from './wasm/kernels.js';
export { seedRandom, type Rng } from './random.js';
export { upsampleNearest2x } from './upsample.js';
export { FusedAdam, registerFusedAdam, FUSED_ADAM, type AdamOptions } from './adam.js';
export { batchNormTrain, registerBatchNormKernels, type BatchStats } from './batchnorm.js';
