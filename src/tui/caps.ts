// What the terminal can show, decided once from the environment so every
// component renders from plain flags (and tests can pass any combination).

export interface Caps {
  /** Colours allowed (NO_COLOR unset, TERM not "dumb"). Bold, dim and underline stay: they are not colour. */
  readonly color: boolean;
  /** The locale's character set is UTF-8; otherwise every glyph has an ASCII stand-in. */
  readonly unicode: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * POSIX precedence: LC_ALL overrides LC_CTYPE overrides LANG; the first one
 * that is set (non-empty) decides. None set means the C locale: ASCII.
 */
export function localeIsUtf8(env: Env): boolean {
  for (const key of ['LC_ALL', 'LC_CTYPE', 'LANG']) {
    const v = env[key];
    if (v) return /utf-?8/i.test(v);
  }
  return false;
}

/** no-color.org: NO_COLOR present and not empty disables colour, whatever else says. */
export function colorAllowed(env: Env): boolean {
  if (env.NO_COLOR) return false;
  if (env.TERM === 'dumb') return false;
  return true;
}

export function detectCaps(env: Env = process.env): Caps {
  return { color: colorAllowed(env), unicode: localeIsUtf8(env) };
}

/** Every non-ASCII character the UI prints, with its ASCII stand-in. */
export interface Glyphs {
  readonly ellipsis: string;
  readonly ok: string;
  readonly fail: string;
  readonly interrupted: string;
  readonly rule: string;
  readonly barFull: string;
  readonly barEmpty: string;
  /** Partial cells of a progress bar, 1/8 .. 7/8 (empty in ASCII: whole cells only). */
  readonly barEighths: readonly string[];
  /** Sparkline levels, lowest first. */
  readonly spark: readonly string[];
  /** Heat shades, coolest first (shown beside values when there is no colour). */
  readonly shade: readonly string[];
  readonly lambdaKl: string;
  readonly lambdaRec: string;
  readonly nu: string;
  readonly dot: string;
  readonly arrowsUpDown: string;
  readonly arrowsLeftRight: string;
  readonly dash: string;
}

export const UNICODE_GLYPHS: Glyphs = {
  ellipsis: '…',
  ok: '✓',
  fail: '✗',
  interrupted: '↺',
  rule: '─',
  barFull: '█',
  barEmpty: '░',
  barEighths: ['▏', '▎', '▍', '▌', '▋', '▊', '▉'],
  spark: ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'],
  shade: ['·', '░', '▒', '▓', '█'],
  lambdaKl: 'λKL',
  lambdaRec: 'λrec',
  nu: 'ν',
  dot: '·',
  arrowsUpDown: '↑↓',
  arrowsLeftRight: '←→',
  dash: '–',
};

export const ASCII_GLYPHS: Glyphs = {
  ellipsis: '~',
  ok: '+',
  fail: 'x',
  interrupted: '>',
  rule: '-',
  barFull: '#',
  barEmpty: '-',
  barEighths: [],
  spark: ['_', '.', ',', '-', '~', '=', '*', '#'],
  shade: ['.', ':', '+', '*', '#'],
  lambdaKl: 'lamKL',
  lambdaRec: 'lamRec',
  nu: 'nu',
  dot: '|',
  arrowsUpDown: 'up/down',
  arrowsLeftRight: 'left/right',
  dash: '-',
};

export function glyphsFor(caps: Caps): Glyphs {
  return caps.unicode ? UNICODE_GLYPHS : ASCII_GLYPHS;
}
