// The failed-trials region, printed from failedLines (views/failed.ts).
import type { FailedTrial, SweepSnapshot } from '../model.js';
import { useUi } from '../theme.js';
import { failedLines } from '../views/failed.js';
import { Lines } from './Lines.js';

export function FailedTrials(props: {
  failed: readonly FailedTrial[];
  offset?: number;
  dataset: SweepSnapshot['dataset'];
  width: number;
  height: number;
}) {
  const { glyphs } = useUi();
  return (
    <Lines lines={failedLines(props.failed, props.offset ?? 0, props.width, props.height, glyphs, props.dataset)} />
  );
}
