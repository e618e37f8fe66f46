// The running-trials region, printed from runningLines (views/running.ts).
import type { SweepSnapshot } from '../model.js';
import { useUi } from '../theme.js';
import { runningLines } from '../views/running.js';
import { Lines } from './Lines.js';

export function RunningTrials({ snapshot, width, height }: { snapshot: SweepSnapshot; width: number; height: number }) {
  const { glyphs } = useUi();
  return <Lines lines={runningLines(snapshot, width, height, glyphs)} />;
}
