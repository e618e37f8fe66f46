// Prints lines that the pure view builders (views.ts) already cut to width.
import { Box } from 'ink';
import { Line, type Segment } from '../theme.js';

export function Lines({ lines }: { lines: readonly (readonly Segment[])[] }) {
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => (
        <Line key={i} segments={l} />
      ))}
    </Box>
  );
}
