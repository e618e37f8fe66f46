// Our small SIMD module (simd.wat) instantiated over the wasm backend's own
// memory, so its loops read and write tensors in place by heap offset.
//
// Why: V8 does not vectorise JS loops, and for these memory-bound passes a
// scalar JS loop costs 2-4x a 128-bit SIMD one (Adam on the LSTM's 12.6M
// weights: ~110 ms in JS). Where the module cannot load, callers fall back to
// their JS loops.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { SIMD_WASM_BASE64 } from './simd-module.js';

export interface SimdKernels {
  adam(
    x: number,
    g: number,
    m: number,
    v: number,
    vm: number,
    o: number,
    n: number,
    b1: number,
    b2: number,
    eps: number,
    wd: number,
    step: number,
    invSqrtBc2: number,
  ): void;
  leaky_relu(x: number, dy: number, o: number, n: number, alpha: number, grad: number): void;
  bn_apply(
    x: number,
    w: number,
    y: number,
    rows: number,
    c: number,
    s1: number,
    s2: number,
    s3: number,
    mode: number,
  ): void;
  col_sums(x: number, w: number, rows: number, c: number, m: number, a: number, b: number, mode: number): void;
  maxpool2_grad(x: number, dy: number, dx: number, n: number, h: number, w: number, c: number): void;
  transpose_tile(src: number, sStride: number, dst: number, dStride: number, ni: number, nj: number): void;
}

// The project compiles without the DOM lib, where TypeScript declares the
// WebAssembly API; Node has it at runtime. The few members we use:
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | null | undefined;
const instances = new WeakMap<WasmMemory, SimdKernels | null>();

export function memoryOf(backend: BackendWasm): WasmMemory | null {
  const mem = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  return mem instanceof WA.Memory ? mem : null;
}

/** The SIMD kernels bound to this backend's heap, or null (no SIMD in this engine, unexpected build). */
export function simdFor(backend: BackendWasm): SimdKernels | null {
  if (process.env['IAE_NO_SIMD'] === '1') return null;
  const mem = memoryOf(backend);
  if (!mem) return null;
  if (instances.has(mem)) return instances.get(mem)!;
  let k: SimdKernels | null = null;
  try {
    if (compiled === undefined) compiled = new WA.Module(Buffer.from(SIMD_WASM_BASE64, 'base64'));
    if (compiled) k = new WA.Instance(compiled, { env: { memory: mem } }).exports as unknown as SimdKernels;
  } catch {
    compiled = null;
  }
  instances.set(mem, k);
  return k;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: BackendWasm, t: TensorInfo): number {
  const off = backend.dataIdMap.get(t.dataId)?.memoryOffset;
  if (typeof off !== 'number') throw new Error('tensor has no wasm heap offset');
  return off;
}

/** Runs f with `bytes` of zeroed scratch on the wasm heap (8-byte aligned), freed afterwards. */
export function withScratch<T>(backend: BackendWasm, bytes: number, f: (ptr: number) => T): T {
  const w = backend.wasm as unknown as { _malloc(n: number): number; _free(p: number): void };
  const ptr = w._malloc(bytes);
  try {
    // A view made after the allocation: malloc may have grown the heap.
    new Uint8Array(memoryOf(backend)!.buffer, ptr, bytes).fill(0);
    return f(ptr);
  } finally {
    w._free(ptr);
  }
}
