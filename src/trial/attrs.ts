// Reading what a trial recorded about itself, one place for every reader
// (status, report, UI), so they name things the same way.
import type { JsonValue } from '../json.js';

/**
 * The backend a trial ran on, with what computed its heavy kernels where that
 * was recorded: "wasm (native GEMM: OpenBLAS 0.3.21 SkylakeX)". Results from the
 * native and the XNNPACK kernels differ in the last bits, so reports keep them
 * apart.
 */
export function backendLabel(userAttrs: Readonly<Record<string, JsonValue>>): string | null {
  const b = userAttrs['backend'];
  if (typeof b !== 'string') return null;
  const k = userAttrs['backend_kernels'];
  return typeof k === 'string' && k !== '' ? `${b} (${k})` : b;
}

/** The short form for narrow columns: "wasm+blas" when the native GEMM ran, else the backend. */
export function backendTag(backend: string, kernels: string | undefined): string {
  return kernels?.startsWith('native GEMM') ? `${backend}+blas` : backend;
}
