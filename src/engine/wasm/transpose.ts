// Transpose in JavaScript over the wasm heap.
//
// The wasm backend's Transpose is a per-element index computation in C++
// (about 250 ms for a 2048x6144 matrix here); a cache-tiled loop in JS moves
// the same data in ~50 ms. Training needs big transposes (the LSTM weight for
// the forward matMul, activations for the filter gradients), so this matters.

type Arr = Float32Array | Int32Array | Uint8Array;

const TILE = 64;

/**
 * Merges axes that stay adjacent and in order through the permutation and
 * drops size-1 axes: [N,H,W,C] with [3,1,2,0] becomes [N,HW,C] with [2,1,0].
 */
export function collapse(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  const keep = shape.map((d) => d !== 1);
  const axes = perm.filter((a) => keep[a]);
  // Runs of input axes a, a+1, ... consecutive in the output.
  const groups: number[][] = [];
  for (const a of axes) {
    const last = groups.at(-1);
    if (last && last.at(-1)! + 1 === a) last.push(a);
    else groups.push([a]);
  }
  // Order groups by their first input axis to get the collapsed input shape.
  const byInput = [...groups].sort((g, h) => g[0]! - h[0]!);
  const newShape = byInput.map((g) => g.reduce((p, a) => p * shape[a]!, 1));
  const newPerm = groups.map((g) => byInput.indexOf(g));
  return { shape: newShape, perm: newPerm };
}

/** dst[d0 + i + j*dStride] = src[s0 + i*sStride + j] for i < ni, j < nj, tiled for the caches. */
function tile2d(
  src: Arr,
  s0: number,
  sStride: number,
  dst: Arr,
  d0: number,
  dStride: number,
  ni: number,
  nj: number,
): void {
  for (let j0 = 0; j0 < nj; j0 += TILE) {
    const j1 = Math.min(nj, j0 + TILE);
    for (let i0 = 0; i0 < ni; i0 += TILE) {
      const i1 = Math.min(ni, i0 + TILE);
      for (let j = j0; j < j1; j++) {
        let d = d0 + j * dStride + i0;
        let s = s0 + i0 * sStride + j;
        for (let i = i0; i < i1; i++) {
          dst[d++] = src[s]!;
          s += sStride;
        }
      }
    }
  }
}

/** tile2d cut into TILE x TILE blocks, each offered to fastTile first (edges that it declines run in JS). */
function tiled(
  src: Arr,
  s0: number,
  sStride: number,
  dst: Arr,
  d0: number,
  dStride: number,
  ni: number,
  nj: number,
  fastTile: TileFn,
): void {
  for (let j0 = 0; j0 < nj; j0 += TILE) {
    const bj = Math.min(TILE, nj - j0);
    for (let i0 = 0; i0 < ni; i0 += TILE) {
      const bi = Math.min(TILE, ni - i0);
      const so = s0 + i0 * sStride + j0;
      const dO = d0 + j0 * dStride + i0;
      if (!fastTile(so, sStride, dO, dStride, bi, bj)) tile2d(src, so, sStride, dst, dO, dStride, bi, bj);
    }
  }
}

/** Like tile2d, but each element is a contiguous run of `es` values. */
function tile2dRuns(
  src: Arr,
  s0: number,
  sStride: number,
  dst: Arr,
  d0: number,
  dStride: number,
  ni: number,
  nj: number,
  es: number,
): void {
  for (let j = 0; j < nj; j++) {
    let d = d0 + j * dStride;
    let s = s0 + j * es;
    for (let i = 0; i < ni; i++) {
      if (es >= 16) dst.set(src.subarray(s, s + es), d);
      else for (let e = 0; e < es; e++) dst[d + e] = src[s + e]!;
      d += es;
      s += sStride;
    }
  }
}

/**
 * Optional fast path for one 2-D tile (same contract as tile2d, offsets in
 * elements); returns false to leave the tile to the JS loop.
 */
export type TileFn = (s0: number, sStride: number, d0: number, dStride: number, ni: number, nj: number) => boolean;

/** Writes the transpose of src (shape, perm) into dst. Any rank; dtype-agnostic. */
export function transposeInto(
  src: Arr,
  dst: Arr,
  shapeIn: readonly number[],
  permIn: readonly number[],
  fastTile?: TileFn,
): void {
  const collapsed = collapse(shapeIn, permIn);
  let { shape, perm } = collapsed;
  if (shape.length <= 1 || perm.every((p, i) => p === i)) {
    dst.set(src.subarray(0, dst.length));
    return;
  }
  // The input's last axis may stay last without merging ([1,0,2]): move it
  // as contiguous runs of `es` values and permute the outer axes.
  let es = 1;
  if (perm.at(-1) === shape.length - 1) {
    es = shape.at(-1)!;
    shape = shape.slice(0, -1);
    perm = perm.slice(0, -1);
  }
  const r = shape.length;
  const inStrides = new Array<number>(r);
  inStrides[r - 1] = es;
  for (let i = r - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1]! * shape[i + 1]!;
  const outShape = perm.map((a) => shape[a]!);
  const outStrides = new Array<number>(r);
  outStrides[r - 1] = es;
  for (let i = r - 2; i >= 0; i--) outStrides[i] = outStrides[i + 1]! * outShape[i + 1]!;
  // Where input axis a lands in the output, as a stride.
  const dstStrideOf = new Array<number>(r);
  perm.forEach((a, pos) => (dstStrideOf[a] = outStrides[pos]!));

  // Now the input's last axis A is not the output's last axis B: A is
  // contiguous in the input, B in the output. Tile over those; loop over the rest.
  const A = r - 1;
  const B = perm[r - 1]!;
  const others: number[] = [];
  for (let a = 0; a < r; a++) if (a !== A && a !== B) others.push(a);
  const idx = new Array<number>(others.length).fill(0);
  let total = 1;
  for (const a of others) total *= shape[a]!;
  let s0 = 0;
  let d0 = 0;
  for (let t = 0; t < total; t++) {
    if (es !== 1) tile2dRuns(src, s0, inStrides[B]!, dst, d0, dstStrideOf[A]!, shape[B]!, shape[A]!, es);
    else if (fastTile) tiled(src, s0, inStrides[B]!, dst, d0, dstStrideOf[A]!, shape[B]!, shape[A]!, fastTile);
    else tile2d(src, s0, inStrides[B]!, dst, d0, dstStrideOf[A]!, shape[B]!, shape[A]!);
    // Odometer over the other axes, innermost last.
    for (let k = others.length - 1; k >= 0; k--) {
      const a = others[k]!;
      idx[k]!++;
      s0 += inStrides[a]!;
      d0 += dstStrideOf[a]!;
      if (idx[k]! < shape[a]!) break;
      s0 -= inStrides[a]! * shape[a]!;
      d0 -= dstStrideOf[a]! * shape[a]!;
      idx[k] = 0;
    }
  }
}
