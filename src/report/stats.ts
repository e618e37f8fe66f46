// Small statistics used by the report. Kept apart so the report model reads as
// selection logic, and so each formula is tested once.

export function mean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * Sample standard deviation (n - 1 in the denominator): the seeds are a sample
 * of the seeds one could have run. Null below two values, where it is undefined
 * (printing 0 would claim a spread of zero).
 */
export function sampleStd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs)!;
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

/** Median; for an even count the mean of the two middle values. */
export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The value as a reader sees it in a table (three decimals). */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
