// The footer region (views and keys, or q's question), printed from views/footer.ts.
import type { SweepSnapshot } from '../model.js';
import { useUi, Line } from '../theme.js';
import { confirmLine, footerLine, type ViewName } from '../views/footer.js';

export function Footer(props: {
  view: ViewName;
  mode: SweepSnapshot['mode'];
  failed: number;
  confirming: boolean;
  stopping?: boolean;
  width: number;
}) {
  const { glyphs } = useUi();
  const line = props.confirming
    ? confirmLine(props.width, glyphs)
    : footerLine(props.view, props.mode, props.failed, props.width, glyphs, props.stopping ?? false);
  return <Line segments={line} />;
}
