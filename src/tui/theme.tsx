// Colour and glyph decisions in one place. Foreground colours are limited to
// red and green (readable on light and dark backgrounds alike); heat cells set
// both background and foreground, so they never depend on the terminal's own
// background, and run on the figures' viridis scale (perceptually ordered:
// brighter is higher, in grey too). Without colour the same meaning is carried
// by bold, underline and shade glyphs.
import { createContext, useContext, type ReactNode } from 'react';
import { Text } from 'ink';
import { detectCaps, glyphsFor, type Caps, type Glyphs } from './caps.js';
import { textOn, viridis } from '../report/svg.js';

export interface Ui {
  readonly caps: Caps;
  readonly glyphs: Glyphs;
}

const UiContext = createContext<Ui>({
  caps: { color: true, unicode: true },
  glyphs: glyphsFor({ color: true, unicode: true }),
});

export function UiProvider({ caps, children }: { caps?: Caps; children: ReactNode }) {
  const c = caps ?? detectCaps();
  return <UiContext.Provider value={{ caps: c, glyphs: glyphsFor(c) }}>{children}</UiContext.Provider>;
}

export function useUi(): Ui {
  return useContext(UiContext);
}

/** What a piece of text means; the theme decides how that looks. */
export type Tone = 'plain' | 'title' | 'head' | 'dim' | 'ok' | 'error' | 'best' | 'warn' | 'key';

/** Heat levels of the screen's grid. */
export const HEAT_LEVELS = 5;

/** Heat backgrounds, lowest first: the middle of each level's band on the SVG heatmaps' viridis scale. */
export const HEAT_BACKGROUNDS: readonly string[] = Array.from({ length: HEAT_LEVELS }, (_, k) =>
  viridis((k + 0.5) / HEAT_LEVELS),
);

export interface Segment {
  readonly text: string;
  readonly tone?: Tone;
  /** Heat level 0..HEAT_LEVELS-1 (colour only; the caller adds shade glyphs without colour). */
  readonly heat?: number | null;
}

function toneProps(tone: Tone, color: boolean): Record<string, unknown> {
  switch (tone) {
    case 'plain':
      return {};
    case 'title':
      return { bold: true };
    case 'head':
      return { bold: true };
    case 'dim':
      return { dimColor: true };
    case 'ok':
      return color ? { color: 'green' } : {};
    case 'error':
      return color ? { color: 'red' } : { bold: true };
    case 'warn':
      return color ? { color: 'red', bold: true } : { bold: true, underline: true };
    case 'best':
      return color ? { color: 'green', bold: true } : { bold: true, underline: true };
    case 'key':
      return { bold: true };
  }
}

/** One terminal line from segments already cut to width: it never wraps. */
export function Line({ segments }: { segments: readonly Segment[] }) {
  const { caps } = useUi();
  return (
    <Text wrap="truncate-end">
      {segments.map((s, i) => {
        const props = toneProps(s.tone ?? 'plain', caps.color);
        if (caps.color && s.heat !== undefined && s.heat !== null) {
          const bg = HEAT_BACKGROUNDS[s.heat]!;
          Object.assign(props, { backgroundColor: bg, color: textOn(bg) });
        }
        return (
          <Text key={i} {...props}>
            {s.text}
          </Text>
        );
      })}
      {segments.length === 0 ? ' ' : ''}
    </Text>
  );
}
