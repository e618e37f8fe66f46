// The hyperparameter-grid region, printed from gridLines (views/grid.ts).
import type { ReportModel } from '../../report/index.js';
import { useUi } from '../theme.js';
import { gridLines, type GridWant } from '../views/grid.js';
import { Lines } from './Lines.js';

export function AblationGrid(props: { report: ReportModel | null; want: GridWant; width: number; height: number }) {
  const { glyphs, caps } = useUi();
  return <Lines lines={gridLines(props.report, props.want, props.width, props.height, glyphs, caps.color)} />;
}
