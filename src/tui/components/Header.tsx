// The header region (counts, progress, ETA), printed from headerLines (views/header.ts).
import type { SweepSnapshot } from '../model.js';
import { useUi } from '../theme.js';
import { headerLines } from '../views/header.js';
import { Lines } from './Lines.js';

/** `only`: print just that line of the three (a tiny terminal gets the counts). */
export function Header({ snapshot, width, only }: { snapshot: SweepSnapshot; width: number; only?: number }) {
  const { glyphs } = useUi();
  const lines = headerLines(snapshot, width, glyphs);
  return <Lines lines={only === undefined ? lines : lines.slice(only, only + 1)} />;
}
