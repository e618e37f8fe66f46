// One line of the log above the live area, printed from logLine (views/log.ts).
import type { LogItem, SweepSnapshot } from '../model.js';
import { useUi, Line } from '../theme.js';
import { logLine } from '../views/log.js';

export function LogLine({ item, width, dataset }: { item: LogItem; width: number; dataset: SweepSnapshot['dataset'] }) {
  const { glyphs } = useUi();
  return <Line segments={logLine(item, width, glyphs, dataset)} />;
}
