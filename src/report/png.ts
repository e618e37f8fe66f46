// PNG from SVG through @resvg/resvg-js (an optional dependency with prebuilt
// binaries). Loaded lazily: the exporter writes SVG everywhere and PNG where
// the binary loads; null tells the caller it did not.
import { FONT_FAMILY } from './svg.js';

type ResvgModule = typeof import('@resvg/resvg-js');
let loaded: Promise<ResvgModule | null> | undefined;

export function loadResvg(): Promise<ResvgModule | null> {
  loaded ??= import('@resvg/resvg-js').then(
    (m) => m,
    () => null,
  );
  return loaded;
}

/** PNG bytes of an SVG at `scale` x its size (2 = sharp on screens and in print); null without resvg. */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer | null> {
  const m = await loadResvg();
  if (!m) return null;
  const r = new m.Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: FONT_FAMILY.split(',')[0]!.trim() },
  });
  return r.render().asPng();
}

/** Width and height from a PNG's IHDR chunk (bytes 16..23), for checks. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || sig.some((b, i) => png[i] !== b)) throw new Error('not a PNG');
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (String.fromCharCode(...png.subarray(12, 16)) !== 'IHDR') throw new Error('PNG without IHDR first');
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}
