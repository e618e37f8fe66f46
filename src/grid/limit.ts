// The largest grid `start` takes without being asked: a grid is counted
// (countGridPoints, lazily) before it is expanded, so a typo that makes 10^9
// points is refused at once instead of filling memory for minutes.
import type { Grid } from '../study/schema.js';
import { countGridPoints } from './expand.js';

/**
 * Default of `start --max-points`. Queueing a point in SQLite (Optuna's
 * schema: one row per param, each with its distribution) costs ~0.25 ms, the
 * same for the last chunk as for the first (each chunk looks up only its own
 * points), so 10^5 points are ~25 s of queueing before the first trial, and
 * weeks of training on one machine; bench/grid-size.ts measures it. Not 10^6
 * (issue 14's example): `start` holds the expanded grid in memory whole
 * (~350 MB at 10^6 points) and would queue for ~4 minutes; a larger grid
 * would need points streamed from the generator to the queue.
 */
export const DEFAULT_MAX_POINTS = 100_000;

/** Why the grid is too large to run, or undefined: its count, the longest axes and the two fixes. */
export function gridSizeProblem(grid: Grid, maxPoints: number): string | undefined {
  const count = countGridPoints(grid);
  if (count <= maxPoints) return undefined;
  const axes = Object.entries(grid)
    .map(([name, values]) => [name, new Set(values as readonly unknown[]).size] as const)
    .filter(([, n]) => n > 1)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name}: ${n} values`);
  return (
    `${count} grid points, more than the limit of ${maxPoints}; ` +
    `remove values from the longest axes (${axes.join(', ')}), or raise the limit with --max-points ${count}`
  );
}
