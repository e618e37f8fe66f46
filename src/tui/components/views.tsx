// The screen regions as components: each one a call to its pure builder in
// views.ts, so what they print is decided (and tested) there.
import type { ReportModel } from '../../report/index.js';
import type { FailedTrial, LogItem, SweepSnapshot } from '../model.js';
import { useUi, Line } from '../theme.js';
import {
  bestLines,
  confirmLine,
  failedLines,
  footerLine,
  gridLines,
  headerLines,
  logLine,
  runningLines,
  type GridWant,
  type ViewName,
} from '../views.js';
import { Lines } from './Lines.js';

/** `only`: print just that line of the three (a tiny terminal gets the counts). */
export function Header({ snapshot, width, only }: { snapshot: SweepSnapshot; width: number; only?: number }) {
  const { glyphs } = useUi();
  const lines = headerLines(snapshot, width, glyphs);
  return <Lines lines={only === undefined ? lines : lines.slice(only, only + 1)} />;
}

export function RunningTrials({ snapshot, width, height }: { snapshot: SweepSnapshot; width: number; height: number }) {
  const { glyphs } = useUi();
  return <Lines lines={runningLines(snapshot, width, height, glyphs)} />;
}

export function BestTable(props: { report: ReportModel | null; error?: string | null; table?: number; width: number; height: number }) {
  const { glyphs } = useUi();
  return <Lines lines={bestLines(props.report, props.error ?? null, props.table ?? 0, props.width, props.height, glyphs)} />;
}

export function AblationGrid(props: { report: ReportModel | null; want: GridWant; width: number; height: number }) {
  const { glyphs, caps } = useUi();
  return <Lines lines={gridLines(props.report, props.want, props.width, props.height, glyphs, caps.color)} />;
}

export function FailedTrials(props: {
  failed: readonly FailedTrial[];
  offset?: number;
  dataset: SweepSnapshot['dataset'];
  width: number;
  height: number;
}) {
  const { glyphs } = useUi();
  return <Lines lines={failedLines(props.failed, props.offset ?? 0, props.width, props.height, glyphs, props.dataset)} />;
}

export function Footer(props: { view: ViewName; mode: SweepSnapshot['mode']; failed: number; confirming: boolean; stopping?: boolean; width: number }) {
  const { glyphs } = useUi();
  const line = props.confirming
    ? confirmLine(props.width, glyphs)
    : footerLine(props.view, props.mode, props.failed, props.width, glyphs, props.stopping ?? false);
  return <Line segments={line} />;
}

export function LogLine({ item, width, dataset }: { item: LogItem; width: number; dataset: SweepSnapshot['dataset'] }) {
  const { glyphs } = useUi();
  return <Line segments={logLine(item, width, glyphs, dataset)} />;
}

export function Rule({ width }: { width: number }) {
  const { glyphs } = useUi();
  return <Line segments={[{ text: glyphs.rule.repeat(Math.max(0, width)), tone: 'dim' }]} />;
}
