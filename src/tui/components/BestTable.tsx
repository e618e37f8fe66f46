// The best-so-far region, printed from bestLines (views/best.ts).
import type { ReportModel } from '../../report/index.js';
import { useUi } from '../theme.js';
import { bestLines } from '../views/best.js';
import { Lines } from './Lines.js';

export function BestTable(props: {
  report: ReportModel | null;
  error?: string | null;
  table?: number;
  width: number;
  height: number;
}) {
  const { glyphs } = useUi();
  return (
    <Lines lines={bestLines(props.report, props.error ?? null, props.table ?? 0, props.width, props.height, glyphs)} />
  );
}
