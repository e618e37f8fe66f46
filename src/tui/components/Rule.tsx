// The rule between the header and the view.
import { useUi, Line } from '../theme.js';

export function Rule({ width }: { width: number }) {
  const { glyphs } = useUi();
  return <Line segments={[{ text: glyphs.rule.repeat(Math.max(0, width)), tone: 'dim' }]} />;
}
